/** v5: alert states and stored filter rules (issue 12). */
export const V5_TRIAGE = `
  -- the last state change of an alert (ack, expect); an alert without a row is open
  CREATE TABLE alert_states (
    alert_id   TEXT    NOT NULL PRIMARY KEY,
    state      TEXT    NOT NULL CHECK (state IN ('open', 'acknowledged', 'expected')),
    changed_by TEXT    NOT NULL,
    changed_at INTEGER NOT NULL,
    comment    TEXT,
    expires_at INTEGER,
    rule_id    TEXT
  ) WITHOUT ROWID;
  -- a state lives as long as its alert: prune (and anything else) deleting the alert drops it
  CREATE TRIGGER alert_states_follow_alerts AFTER DELETE ON alerts
  BEGIN
    DELETE FROM alert_states WHERE alert_id = old.id;
  END;

  -- allow rules written by expect, compiled like rules_file entries
  CREATE TABLE rules (
    id         TEXT    NOT NULL PRIMARY KEY,
    spec       TEXT    NOT NULL, -- the rules file entry as JSON
    alert_id   TEXT,
    created_by TEXT    NOT NULL,
    created_at INTEGER NOT NULL,
    comment    TEXT,
    expires_at INTEGER
  ) WITHOUT ROWID;

  -- one row: bumped by every change of rules, in the same transaction (replicas poll it)
  CREATE TABLE rules_version (
    only    INTEGER NOT NULL PRIMARY KEY CHECK (only = 1),
    version INTEGER NOT NULL
  );
  INSERT INTO rules_version (only, version) VALUES (1, 0);
  CREATE TRIGGER rules_version_insert AFTER INSERT ON rules BEGIN UPDATE rules_version SET version = version + 1; END;
  CREATE TRIGGER rules_version_update AFTER UPDATE ON rules BEGIN UPDATE rules_version SET version = version + 1; END;
  CREATE TRIGGER rules_version_delete AFTER DELETE ON rules BEGIN UPDATE rules_version SET version = version + 1; END;
  `;
