-- The application acts as servo_app (each pooled connection runs SET ROLE servo_app), which has
-- DML on Servo's tables and nothing else, and row-level security confines it to one tenant.

-- Roles are cluster-wide: two databases of one cluster may run this migration at the same time.
-- Whoever loses the race to create the role gets duplicate_object or unique_violation, which is
-- the outcome it wanted anyway.
DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = 'servo_app') THEN
    BEGIN
      CREATE ROLE servo_app NOLOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOBYPASSRLS;
    EXCEPTION WHEN duplicate_object OR unique_violation THEN
      NULL;
    END;
  END IF;
END
$$;

-- The migrating user is the one the application connects as; it must be able to SET ROLE to
-- servo_app. A superuser already can; anyone else is made a member.
DO $$
BEGIN
  IF NOT pg_catalog.pg_has_role(current_user, 'servo_app', 'MEMBER') THEN
    BEGIN
      GRANT servo_app TO CURRENT_USER;
    EXCEPTION WHEN unique_violation THEN
      NULL;
    END;
  END IF;
END
$$;

GRANT USAGE ON SCHEMA servo TO servo_app;
GRANT SELECT, INSERT ON servo.workflows TO servo_app;
GRANT SELECT, INSERT, UPDATE ON servo.executions TO servo_app;
GRANT SELECT, INSERT, UPDATE ON servo.asset_results TO servo_app;
GRANT SELECT, INSERT, UPDATE, DELETE ON servo.task_outbox TO servo_app;
GRANT USAGE ON ALL SEQUENCES IN SCHEMA servo TO servo_app;

-- A row is visible and writable when it belongs to the transaction's tenant
-- (SELECT set_config('servo.tenant_id', ?, true)), or when the transaction declared the system
-- scope (SELECT set_config('servo.scope', 'system', true)), which only the outbox relay and the
-- lease sweeper do. Both settings are transaction-local; outside them nothing is visible.
-- FORCE: the policies bind the tables' owner too.

ALTER TABLE servo.workflows ENABLE ROW LEVEL SECURITY;
ALTER TABLE servo.workflows FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON servo.workflows
  USING (tenant_id = current_setting('servo.tenant_id', true) OR current_setting('servo.scope', true) = 'system')
  WITH CHECK (tenant_id = current_setting('servo.tenant_id', true) OR current_setting('servo.scope', true) = 'system');

ALTER TABLE servo.executions ENABLE ROW LEVEL SECURITY;
ALTER TABLE servo.executions FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON servo.executions
  USING (tenant_id = current_setting('servo.tenant_id', true) OR current_setting('servo.scope', true) = 'system')
  WITH CHECK (tenant_id = current_setting('servo.tenant_id', true) OR current_setting('servo.scope', true) = 'system');

ALTER TABLE servo.asset_results ENABLE ROW LEVEL SECURITY;
ALTER TABLE servo.asset_results FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON servo.asset_results
  USING (tenant_id = current_setting('servo.tenant_id', true) OR current_setting('servo.scope', true) = 'system')
  WITH CHECK (tenant_id = current_setting('servo.tenant_id', true) OR current_setting('servo.scope', true) = 'system');

ALTER TABLE servo.task_outbox ENABLE ROW LEVEL SECURITY;
ALTER TABLE servo.task_outbox FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON servo.task_outbox
  USING (tenant_id = current_setting('servo.tenant_id', true) OR current_setting('servo.scope', true) = 'system')
  WITH CHECK (tenant_id = current_setting('servo.tenant_id', true) OR current_setting('servo.scope', true) = 'system');
