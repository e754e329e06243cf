/**
 * v7: traffic baselines (issue 15, README "Anomalous traffic"): one row per traffic key holding
 * its decayed base and pending hour slots packed in one blob (codec: sqlite/traffic-codec.ts).
 * `latest` (the newest of the base's anchor hour and the pending hours) is what prune looks at.
 * A rowid table: the rows are large (hundreds of bytes), which WITHOUT ROWID handles badly.
 */
export const V7_TRAFFIC = `
  CREATE TABLE traffic (
    key    TEXT    NOT NULL UNIQUE, -- trafficKeyId
    latest INTEGER NOT NULL,        -- clock hour (ms / 3 600 000)
    state  BLOB    NOT NULL
  );
  CREATE INDEX traffic_latest ON traffic (latest);
  `;
