-- Servo's tables on PostgreSQL, in schema servo (Flyway creates it and keeps its history there).

CREATE TABLE servo.workflows (
  tenant_id  TEXT        NOT NULL,
  name       TEXT        NOT NULL,
  version    INTEGER     NOT NULL,
  -- TEXT, not JSONB: a redeploy is "identical" when the canonical JSON text is equal.
  definition TEXT        NOT NULL,
  created_at TIMESTAMPTZ NOT NULL,
  PRIMARY KEY (tenant_id, name, version)
);

CREATE TABLE servo.executions (
  id               TEXT        NOT NULL PRIMARY KEY,
  tenant_id        TEXT        NOT NULL,
  workflow         TEXT        NOT NULL,
  workflow_version INTEGER     NOT NULL,
  state            TEXT        NOT NULL
    CHECK (state IN ('pending', 'running', 'succeeded', 'failed', 'timeout', 'cancelled')),
  idempotency_key  TEXT,
  trace_id         TEXT,
  error            TEXT,
  attempt          INTEGER     NOT NULL DEFAULT 0,
  created_at       TIMESTAMPTZ NOT NULL,
  started_at       TIMESTAMPTZ,
  ended_at         TIMESTAMPTZ,
  lease_until      TIMESTAMPTZ,
  updated_at       TIMESTAMPTZ NOT NULL,
  -- NULL keys are distinct, so executions without a key never collide.
  CONSTRAINT executions_idempotency_key UNIQUE (tenant_id, workflow, idempotency_key)
);

CREATE INDEX executions_running ON servo.executions (lease_until) WHERE state = 'running';

CREATE TABLE servo.asset_results (
  id           BIGINT      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  execution_id TEXT        NOT NULL REFERENCES servo.executions (id) ON DELETE CASCADE,
  tenant_id    TEXT        NOT NULL,
  asset_name   TEXT        NOT NULL,
  kind         TEXT        NOT NULL,
  status       TEXT        NOT NULL CHECK (status IN ('running', 'succeeded', 'failed', 'skipped')),
  attempt      INTEGER     NOT NULL,
  started_at   TIMESTAMPTZ,
  ended_at     TIMESTAMPTZ,
  output       TEXT,
  error        TEXT,
  CONSTRAINT asset_results_asset UNIQUE (execution_id, asset_name)
);

CREATE TABLE servo.task_outbox (
  id           BIGINT      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  tenant_id    TEXT        NOT NULL,
  execution_id TEXT        NOT NULL REFERENCES servo.executions (id) ON DELETE CASCADE,
  task_name    TEXT        NOT NULL UNIQUE,
  payload      BYTEA       NOT NULL,
  attempts     INTEGER     NOT NULL DEFAULT 0,
  available_at TIMESTAMPTZ NOT NULL,
  last_error   TEXT,
  created_at   TIMESTAMPTZ NOT NULL
);

CREATE INDEX task_outbox_due ON servo.task_outbox (available_at, id);
CREATE INDEX task_outbox_execution ON servo.task_outbox (execution_id);
