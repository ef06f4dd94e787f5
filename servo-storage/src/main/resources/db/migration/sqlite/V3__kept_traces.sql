-- Retroactive keep; see the PostgreSQL migration V4.
ALTER TABLE executions ADD COLUMN trace_kept TEXT;
ALTER TABLE executions ADD COLUMN kept_spans TEXT;
