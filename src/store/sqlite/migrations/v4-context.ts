/**
 * v4: the per-workload index of alert context (issue 12; src/store/edge-ends.ts). Each edge is
 * a row at each of its ends: (workload, protocol, dir, peer) with the edge's first-seen; a
 * self-loop is two rows of one workload. Edges already in the file are back-filled with their
 * last-seen as first-seen (the earliest time the baseline can vouch for).
 */
export const V4_CONTEXT = `
  CREATE TABLE edge_ends (
    scope      TEXT    NOT NULL,
    workload   TEXT    NOT NULL,
    protocol   TEXT    NOT NULL,
    dir        TEXT    NOT NULL CHECK (dir IN ('>', '<')),
    peer       TEXT    NOT NULL,
    first_seen INTEGER NOT NULL,
    PRIMARY KEY (scope, workload, protocol, dir, peer)
  ) WITHOUT ROWID;

  INSERT INTO edge_ends (scope, workload, protocol, dir, peer, first_seen)
    SELECT scope, source, protocol, '>', dest, last_seen FROM edges;
  INSERT INTO edge_ends (scope, workload, protocol, dir, peer, first_seen)
    SELECT scope, dest, protocol, '<', source, last_seen FROM edges;
  `;
