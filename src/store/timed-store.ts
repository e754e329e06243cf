import type { Telemetry } from '../telemetry/metrics';
import type { BaselineStore } from './store';

const UNTIMED = new Set(['kind', 'close']);

/**
 * Times every store call into edgewatch_store_operation_duration_seconds{op, store, outcome}:
 * for Redis these are the commands (scripts, pipelines) each operation sends.
 */
export function timedStore(store: BaselineStore, telemetry: Telemetry): BaselineStore {
  return new Proxy(store, {
    get(target, prop, receiver) {
      const value: unknown = Reflect.get(target, prop, receiver);
      if (typeof value !== 'function' || typeof prop !== 'string' || UNTIMED.has(prop)) {
        return typeof value === 'function' ? value.bind(target) : value;
      }
      const fn = value as (...args: unknown[]) => Promise<unknown>;
      const op = prop.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
      return (...args: unknown[]) => telemetry.time(telemetry.storeDuration, { op, store: target.kind }, () => fn.apply(target, args));
    },
  });
}
