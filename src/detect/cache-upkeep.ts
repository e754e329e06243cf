import type { Config } from '../config/config';
import type { Logger } from '../telemetry/logger';
import type { Telemetry } from '../telemetry/metrics';
import type { Detector } from './detector';

/**
 * The known-edge cache's life around the detector: the warm fill after a start (cache_warm),
 * the one log line when it first reaches cache_max_edges, and its metrics.
 */
export class CacheUpkeep {
  private stopped = false;
  private warming = false;
  private started = false;

  constructor(
    private readonly detector: Detector,
    private readonly cfg: Pick<Config, 'cacheWarm' | 'cacheMaxEdges'>,
    telemetry: Telemetry,
    private readonly logger: Logger,
  ) {
    const cache = detector.cache;
    cache.onFull = () =>
      logger.warn(
        { cacheMaxEdges: cache.maxEntries },
        'known-edge cache reached cache_max_edges: from now on edges looked up least recently are evicted, and an evicted edge costs one store lookup when seen again (raise cache_max_edges if edgewatch_cache_evictions_total keeps growing)',
      );
    telemetry.counterFrom('edgewatch_cache_evictions', 'Edges evicted from the full known-edge cache', () => cache.evictions);
    telemetry.gauge('edgewatch_cache_warming', 'Whether the warm fill of the known-edge cache from the store is running (1) or not (0)', () => [[this.warming ? 1 : 0, {}]]);
  }

  /** Once the store is ready: start the warm fill in the background (it yields to intake between pages). */
  start(): void {
    if (this.started || this.cfg.cacheWarm !== 'true' || this.cfg.cacheMaxEdges <= 0) return;
    this.started = true;
    this.warming = true;
    const t0 = performance.now();
    this.detector
      .warmCache({ stopped: () => this.stopped })
      .then(
        (r) => {
          const seconds = Number(((performance.now() - t0) / 1000).toFixed(2));
          if (!r.stopped) this.logger.info({ edges: r.edges, pages: r.pages, seconds, full: r.full, cached: this.detector.cache.size }, 'known-edge cache warmed from the store');
        },
        (err: unknown) => this.logger.warn({ err }, 'warm fill of the known-edge cache failed; edges are learned from traffic instead (one store lookup each)'),
      )
      .finally(() => {
        this.warming = false;
      });
  }

  stop(): void {
    this.stopped = true;
  }
}
