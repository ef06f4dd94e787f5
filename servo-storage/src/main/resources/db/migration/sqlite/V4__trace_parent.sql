-- The traceparent the execution's payload was created with; see the PostgreSQL migration V5.
ALTER TABLE executions ADD COLUMN trace_parent TEXT;
