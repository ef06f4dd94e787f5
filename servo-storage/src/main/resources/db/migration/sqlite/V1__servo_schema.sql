-- Servo's tables on SQLite. Times are epoch milliseconds (UTC). There is no row-level security:
-- every statement filters on tenant_id itself.

CREATE TABLE workflows (
  tenant_id  TEXT    NOT NULL,
  name       TEXT    NOT NULL,
  version    INTEGER NOT NULL,
  definition TEXT    NOT NULL,
  created_at INTEGER NOT NULL,
  PRIMARY KEY (tenant_id, name, version)
) STRICT;

CREATE TABLE executions (
  id               TEXT    NOT NULL PRIMARY KEY,
  tenant_id        TEXT    NOT NULL,
  workflow         TEXT    NOT NULL,
  workflow_version INTEGER NOT NULL,
  state            TEXT    NOT NULL
    CHECK (state IN ('pending', 'running', 'succeeded', 'failed', 'timeout', 'cancelled')),
  idempotency_key  TEXT,
  trace_id         TEXT,
  error            TEXT,
  attempt          INTEGER NOT NULL DEFAULT 0,
  created_at       INTEGER NOT NULL,
  started_at       INTEGER,
  ended_at         INTEGER,
  lease_until      INTEGER,
  updated_at       INTEGER NOT NULL,
  -- NULL keys are distinct, so executions without a key never collide.
  CONSTRAINT executions_idempotency_key UNIQUE (tenant_id, workflow, idempotency_key)
) STRICT;

CREATE INDEX executions_running ON executions (lease_until) WHERE state = 'running';

CREATE TABLE asset_results (
  id           INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
  execution_id TEXT    NOT NULL REFERENCES executions (id) ON DELETE CASCADE,
  tenant_id    TEXT    NOT NULL,
  asset_name   TEXT    NOT NULL,
  kind         TEXT    NOT NULL,
  status       TEXT    NOT NULL CHECK (status IN ('running', 'succeeded', 'failed', 'skipped')),
  attempt      INTEGER NOT NULL,
  started_at   INTEGER,
  ended_at     INTEGER,
  output       TEXT,
  error        TEXT,
  CONSTRAINT asset_results_asset UNIQUE (execution_id, asset_name)
) STRICT;

-- AUTOINCREMENT: a dispatched (deleted) task's id is never handed to a new task.
CREATE TABLE task_outbox (
  id           INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
  tenant_id    TEXT    NOT NULL,
  execution_id TEXT    NOT NULL REFERENCES executions (id) ON DELETE CASCADE,
  task_name    TEXT    NOT NULL UNIQUE,
  payload      BLOB    NOT NULL,
  attempts     INTEGER NOT NULL DEFAULT 0,
  available_at INTEGER NOT NULL,
  last_error   TEXT,
  created_at   INTEGER NOT NULL
) STRICT;

CREATE INDEX task_outbox_due ON task_outbox (available_at, id);
CREATE INDEX task_outbox_execution ON task_outbox (execution_id);
