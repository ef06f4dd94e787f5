-- Retroactive keep: a trace the head sampler left out is exported whole after all when its
-- execution ends failed or timed out (or slow). trace_kept says why ('error' or 'slow'), written by
-- the finishing UPDATE of the worker that decided it; kept_spans is that worker's part of the trace
-- (its spans, redacted, as JSON), written once after the delivery answered, read and cleared by the
-- orchestrator that holds the rest of the trace and exports both. NULL for every other execution.
ALTER TABLE servo.executions ADD COLUMN trace_kept TEXT;
ALTER TABLE servo.executions ADD COLUMN kept_spans TEXT;
