-- The W3C traceparent the execution's payload was created with (its orchestrator.enqueue_execution
-- span, or the API request's span when that trace was not sampled). The payload leaves with its
-- task; a redelivery reads this to continue the execution's trace beneath the span that exists,
-- following its sampling decision, instead of beneath a placeholder that never reaches the backend.
ALTER TABLE servo.executions ADD COLUMN trace_parent TEXT;
