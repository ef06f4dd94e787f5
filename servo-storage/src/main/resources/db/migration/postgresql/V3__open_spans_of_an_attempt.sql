-- The spans a worker attempt leaves open while it runs (its delivery and execution spans on the
-- execution, the running asset's span on its result), so that whoever takes over an attempt whose
-- worker died can end them with their original ids. Written by the claim and the asset-result
-- writes that happen anyway; NULL when the attempt is not traced or ended its spans itself.
-- lost_spans and lost_lease_until are what a take-over claim moved out of open_spans and lease_until
-- (an UPDATE's SET reads the row as it was, so one statement both records and hands them over).
ALTER TABLE servo.executions ADD COLUMN open_spans TEXT;
ALTER TABLE servo.executions ADD COLUMN lost_spans TEXT;
ALTER TABLE servo.executions ADD COLUMN lost_lease_until TIMESTAMPTZ;
ALTER TABLE servo.asset_results ADD COLUMN open_spans TEXT;
