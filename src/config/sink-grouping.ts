import { GROUP_FIELDS, isGroupField, type GroupField, type GroupingSpec } from '../alert/alert-group';
import { ConfigError } from '../core/errors';
import { parseDuration } from './duration';

/**
 * 30 s, like Alertmanager's default: the eBPF reducer reports every 30 s, so a new workload's
 * first connections all arrive within one such interval, and one wait of that length gathers
 * them into one message while the first notification still comes within a minute.
 */
export const DEFAULT_GROUP_WAIT_MS = 30_000;
/** Longer would keep alerts out of reach of other replicas for as long should the holder die. */
export const MAX_GROUP_WAIT_MS = 10 * 60_000;

/**
 * Sink types grouped when their entry says nothing: Slack, which people read (a rollout is one
 * message). Webhook and Splunk HEC feed machines, which want one event per alert; Alertmanager
 * groups by itself. Any of them can be grouped with `group_by`.
 */
export const DEFAULT_GROUP_BY: Readonly<Partial<Record<string, readonly GroupField[]>>> = {
  slack: ['cluster', 'source.workload'],
};

/**
 * A sink entry's `group_by` / `group_wait`, or undefined when the sink does not group (no
 * default for its type, or `group_by: []`). `field` names a key in errors.
 */
export function parseGrouping(type: string, groupBy: unknown, groupWait: unknown, field: (key: string) => string): GroupingSpec | undefined {
  const by = groupBy === undefined ? DEFAULT_GROUP_BY[type] : parseGroupBy(groupBy, field);
  if (by === undefined || by.length === 0) {
    if (groupWait !== undefined) throw new ConfigError(field('group_wait'), 'a non-empty group_by too (group_wait applies to a grouped sink)', groupWait);
    return undefined;
  }
  if (groupWait === undefined) return { by, waitMs: DEFAULT_GROUP_WAIT_MS };
  const ms = typeof groupWait === 'string' || typeof groupWait === 'number' ? parseDuration(String(groupWait)) : null;
  if (ms === null || ms < 0 || ms > MAX_GROUP_WAIT_MS) throw new ConfigError(field('group_wait'), 'a duration from 0 to 10m like 30s', groupWait);
  return { by, waitMs: ms };
}

function parseGroupBy(raw: unknown, field: (key: string) => string): GroupField[] {
  if (!Array.isArray(raw)) throw new ConfigError(field('group_by'), `a list of fields (${GROUP_FIELDS.join(', ')})`, raw);
  const out: GroupField[] = [];
  raw.forEach((item: unknown, i) => {
    if (typeof item !== 'string' || !isGroupField(item)) throw new ConfigError(field(`group_by[${i}]`), `one of ${GROUP_FIELDS.join(', ')}`, item);
    if (!out.includes(item)) out.push(item);
  });
  return out;
}
