/**
 * v2: storm guard windows shared by every process on the file (issue 11). observe counts a new
 * edge's alert in its cluster's window in the same transaction that decides "new"; summaries are
 * written from these rows, so a crash loses no held-back edge. prune deletes ended windows.
 */
export const V2_STORM = `
  CREATE TABLE storm_windows (
    cluster      TEXT    NOT NULL,
    window_start INTEGER NOT NULL,
    window_end   INTEGER NOT NULL,
    granted      INTEGER NOT NULL DEFAULT 0, -- alerts raised in the window
    first_held   INTEGER,                    -- first edge held back (NULL: none yet)
    summary_id   TEXT,                       -- the summary alert once written (NULL: not yet)
    PRIMARY KEY (cluster, window_start)
  ) WITHOUT ROWID;
  -- summariseStorms looks for ended windows with held-back edges and no summary
  CREATE INDEX storm_windows_due ON storm_windows (window_end) WHERE summary_id IS NULL AND first_held IS NOT NULL;

  CREATE TABLE storm_held (
    cluster      TEXT    NOT NULL,
    window_start INTEGER NOT NULL,
    protocol     TEXT    NOT NULL,
    n            INTEGER NOT NULL,
    PRIMARY KEY (cluster, window_start, protocol)
  ) WITHOUT ROWID;

  -- alert ids held back (an alerted id is in alerts): a replay is neither alerted nor counted again
  CREATE TABLE storm_decisions (
    alert_id   TEXT    NOT NULL PRIMARY KEY,
    window_end INTEGER NOT NULL
  ) WITHOUT ROWID;
  CREATE INDEX storm_decisions_end ON storm_decisions (window_end);
  `;
