-- The spans a worker attempt leaves open while it runs; see the PostgreSQL migration V3.
ALTER TABLE executions ADD COLUMN open_spans TEXT;
ALTER TABLE executions ADD COLUMN lost_spans TEXT;
ALTER TABLE executions ADD COLUMN lost_lease_until INTEGER;
ALTER TABLE asset_results ADD COLUMN open_spans TEXT;
