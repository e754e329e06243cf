import type Database from 'better-sqlite3';
import type { TrafficBaseline, TrafficDelta } from '../store';
import { addMoments, baselineOf, checkRead, emptyState, foldState, groupDeltas, latestHour, slotOf, type TrafficState } from '../traffic-state';
import { decodeTrafficState, encodeTrafficState } from './traffic-codec';

type Stmt<P extends unknown[], R = unknown> = Database.Statement<P, R>;

/**
 * The traffic baselines of SqliteStore (table `traffic` of migration v7): one row per key, its
 * TrafficState (traffic-state.ts) packed by traffic-codec.ts. Every method runs inside the
 * transaction the store opened (BEGIN IMMEDIATE), so each read-modify-write of a row is atomic
 * for every process on the file: a fold and a concurrent add never lose each other's moments.
 */
export class SqliteTraffic {
  private readonly st: {
    get: Stmt<[key: string], { state: Buffer }>;
    put: Stmt<[key: string, latest: number, state: Buffer]>;
    pruneSlice: Stmt<[cutHour: number, slice: number]>;
  };

  constructor(db: Database.Database) {
    this.st = {
      get: db.prepare('SELECT state FROM traffic WHERE key = ?'),
      put: db.prepare('INSERT INTO traffic (key, latest, state) VALUES (?, ?, ?) ON CONFLICT (key) DO UPDATE SET latest = excluded.latest, state = excluded.state'),
      pruneSlice: db.prepare('DELETE FROM traffic WHERE rowid IN (SELECT rowid FROM traffic WHERE latest < ? LIMIT ?)'),
    };
  }

  add(deltas: readonly TrafficDelta[]): void {
    for (const [key, slots] of groupDeltas(deltas)) {
      const state = this.load(key) ?? emptyState();
      for (const [id, m] of slots) {
        const { hour, metric } = slotOf(id);
        addMoments(state, hour, metric, m);
      }
      this.save(key, state);
    }
  }

  read(keys: readonly string[], hour: number, decay: number): TrafficBaseline[] {
    checkRead(hour, decay);
    const out: TrafficBaseline[] = [];
    for (const key of keys) {
      const state = this.load(key);
      if (!state) continue;
      if (foldState(state, hour, decay)) this.save(key, state);
      const b = baselineOf(key, state);
      if (b) out.push(b);
    }
    return out;
  }

  /** Deletes up to `slice` keys whose latest hour is before `cutHour`; returns how many. */
  pruneSlice(cutHour: number, slice: number): number {
    return this.st.pruneSlice.run(cutHour, slice).changes;
  }

  private load(key: string): TrafficState | null {
    const row = this.st.get.get(key);
    return row ? decodeTrafficState(row.state) : null;
  }

  private save(key: string, state: TrafficState): void {
    this.st.put.run(key, latestHour(state), encodeTrafficState(state));
  }
}
