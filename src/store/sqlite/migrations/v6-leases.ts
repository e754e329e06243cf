/** v6: named leases shared by processes on the file (grouped sinks, issue 12): one holder per name. */
export const V6_LEASES = `
  CREATE TABLE leases (
    name       TEXT    NOT NULL PRIMARY KEY,
    owner      TEXT    NOT NULL,
    expires_at INTEGER NOT NULL
  ) WITHOUT ROWID;
  `;
