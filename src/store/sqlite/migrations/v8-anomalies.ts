/**
 * v8: traffic-anomaly ledgers (issue 15, README "Anomalous traffic"): per traffic key, the
 * anomalies of the last window (idempotent per key, bucket and metric) and the last firing, so
 * recordTrafficAnomalies counts and fires in one transaction for every process on the file.
 */
export const V8_ANOMALIES = `
  CREATE TABLE traffic_ledgers (
    key    TEXT    NOT NULL PRIMARY KEY, -- trafficKeyId
    latest INTEGER NOT NULL,             -- latest bucket ms ever recorded
    fired  INTEGER                       -- last firing (bucket ms), NULL: never
  ) WITHOUT ROWID;
  -- prune looks for ledgers whose latest bucket is before the cut
  CREATE INDEX traffic_ledgers_latest ON traffic_ledgers (latest);

  CREATE TABLE traffic_anomalies (
    key    TEXT    NOT NULL,
    bucket INTEGER NOT NULL, -- start of the 10 s bucket, ms
    metric TEXT    NOT NULL,
    value  REAL    NOT NULL,
    mean   REAL    NOT NULL,
    stdev  REAL    NOT NULL,
    z      REAL    NOT NULL,
    PRIMARY KEY (key, bucket, metric)
  ) WITHOUT ROWID;
  `;
