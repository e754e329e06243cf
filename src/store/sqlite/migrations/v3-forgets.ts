/**
 * v3: the forget log replicas read to drop forgotten edges from their caches (issue 11).
 * AUTOINCREMENT so a number is never issued twice, even after every row was trimmed: a reader's
 * cursor is the last number it read.
 */
export const V3_FORGETS = `
  CREATE TABLE forgets (
    seq       INTEGER PRIMARY KEY AUTOINCREMENT,
    scope     TEXT    NOT NULL,
    protocol  TEXT    NOT NULL,
    source    TEXT    NOT NULL,
    dest      TEXT    NOT NULL,
    forgot_at INTEGER NOT NULL
  );
  `;
