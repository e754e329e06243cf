/** v1: the baseline, the scopes of the learning period, the sink registry and the outbox. */
export const V1_BASELINE = `
  CREATE TABLE edges (
    scope     TEXT    NOT NULL,
    protocol  TEXT    NOT NULL,
    source    TEXT    NOT NULL,
    dest      TEXT    NOT NULL,
    last_seen INTEGER NOT NULL,
    PRIMARY KEY (scope, protocol, source, dest)
  ) WITHOUT ROWID;
  -- prune deletes by last_seen; listEdges sorts by it
  CREATE INDEX edges_last_seen ON edges (last_seen);

  CREATE TABLE scopes (
    scope      TEXT    NOT NULL PRIMARY KEY,
    first_seen INTEGER NOT NULL
  ) WITHOUT ROWID;

  -- the sinks registered by the last init(); each new alert gets one delivery per row
  CREATE TABLE sinks (
    name          TEXT    NOT NULL PRIMARY KEY,
    registered_at INTEGER NOT NULL
  ) WITHOUT ROWID;

  -- rowid table on purpose: rowid orders alerts created in the same millisecond
  CREATE TABLE alerts (
    id            TEXT    NOT NULL PRIMARY KEY,
    payload       TEXT    NOT NULL, -- AlertDraft as JSON
    previous_seen INTEGER,
    created_at    INTEGER NOT NULL
  );
  CREATE INDEX alerts_created ON alerts (created_at);

  CREATE TABLE deliveries (
    alert_id    TEXT    NOT NULL,
    sink        TEXT    NOT NULL,
    state       TEXT    NOT NULL CHECK (state IN ('pending', 'delivered', 'failed')),
    attempts    INTEGER NOT NULL DEFAULT 0,
    lease_owner TEXT,
    lease_until INTEGER,
    next_at     INTEGER NOT NULL,
    last_error  TEXT,
    PRIMARY KEY (alert_id, sink)
  ) WITHOUT ROWID;
  -- claimAlerts looks only at pending entries of one sink that are due
  CREATE INDEX deliveries_due ON deliveries (sink, next_at) WHERE state = 'pending';
  CREATE INDEX deliveries_state ON deliveries (state, sink);
  `;
