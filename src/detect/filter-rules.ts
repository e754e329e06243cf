import { parse as parseYaml } from 'yaml';
import type { Attributes, Observation } from '../core/observation';
import type { Assessment } from './alert-context';
import { compilePatterns, PatternError, type ValueMatcher } from './pattern';
import { RULES } from './rules';

/** A rules file that cannot be used; the message names the entry and the field. */
export class FilterRulesError extends Error {}

/** One compiled allow-list entry: every condition given must match (AND); entries are OR-ed. */
export interface FilterRule {
  /** `name` of the entry, or `rules[<i>]`: the `rule` label of edgewatch_alerts_filtered_total. */
  label: string;
  comment?: string;
  /** The rule stops matching at this time (ms); Infinity when it never expires. */
  expiresMs: number;
  /** `assessed`: the new edge's kind and severity; a rule naming kind, severity or cross_namespace never matches without it. */
  matches(obs: Observation, attrs: () => Attributes, assessed?: Assessment): boolean;
}

export interface FilterRuleSet {
  rules: readonly FilterRule[];
  /** The first unexpired rule matching `obs` (of kind and severity `assessed`) at `nowMs`, or null. */
  match(obs: Observation, nowMs: number, assessed?: Assessment): FilterRule | null;
}

/** Fields of an observation a rule can name directly (the attribute names they come from vary with config). */
const FIELDS = {
  cluster: (o: Observation) => o.cluster,
  protocol: (o: Observation) => o.protocol,
  source: (o: Observation) => o.source,
  dest: (o: Observation) => o.dest,
  source_namespace: (o: Observation) => o.sourceNamespace,
  dest_namespace: (o: Observation) => o.destNamespace,
  /** The alert's rule: a new-edge rule (from the protocol) or a traffic-anomaly rule. */
  rule: (o: Observation) => o.rule ?? RULES[o.protocol].rule,
} as const;
type FieldName = keyof typeof FIELDS;
/** Fields of the alert context (README "Alert format"): computed from the baseline before the rules are checked. */
const CONTEXT_FIELDS = {
  kind: (a: Assessment) => a.context.kind,
  severity: (a: Assessment) => a.severity,
} as const;
type ContextFieldName = keyof typeof CONTEXT_FIELDS;
const META = ['name', 'comment', 'expires', 'attributes'];
const CONDITIONS = [...Object.keys(FIELDS), ...Object.keys(CONTEXT_FIELDS), 'cross_namespace', 'attributes'];
const KNOWN = [...Object.keys(FIELDS), ...Object.keys(CONTEXT_FIELDS), 'cross_namespace', ...META];

/** Parse and compile a rules file's text; throws FilterRulesError naming what is wrong. */
export function compileFilterRules(text: string): FilterRuleSet {
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (err) {
    throw new FilterRulesError(`not valid YAML: ${(err as Error).message}`);
  }
  if (doc === null || doc === undefined) return ruleSet([]);
  const list = isRecord(doc) && Object.keys(doc).length === 1 && 'rules' in doc ? doc.rules : doc;
  if (list === null || list === undefined) return ruleSet([]);
  if (!Array.isArray(list)) throw new FilterRulesError('expected a list of rules (or a mapping with a single key `rules:` holding one)');
  const labels = new Set<string>();
  return ruleSet(
    list.map((entry, i) => {
      const rule = compileEntry(entry, `rules[${i}]`);
      if (labels.has(rule.label)) throw new FilterRulesError(`rules[${i}].name: "${rule.label}" is used by an earlier rule`);
      labels.add(rule.label);
      return rule;
    }),
  );
}

function ruleSet(rules: FilterRule[]): FilterRuleSet {
  return {
    rules,
    match(obs, nowMs, assessed) {
      let attrs: Attributes | undefined;
      // Attributes are decoded lazily and once per observation, only if a rule asks for them.
      const getAttrs = (): Attributes => (attrs ??= obs.attributes());
      for (const r of rules) if (nowMs < r.expiresMs && r.matches(obs, getAttrs, assessed)) return r;
      return null;
    },
  };
}

function compileEntry(entry: unknown, at: string): FilterRule {
  if (!isRecord(entry)) throw new FilterRulesError(`${at}: expected a mapping of conditions, given ${JSON.stringify(entry)}`);
  for (const k of Object.keys(entry)) {
    if (!KNOWN.includes(k)) throw new FilterRulesError(`${at}.${k}: unknown key; expected ${KNOWN.join(', ')}`);
  }
  const checks: Array<(obs: Observation, attrs: () => Attributes, assessed?: Assessment) => boolean> = [];
  for (const f of Object.keys(FIELDS) as FieldName[]) {
    if (entry[f] === undefined) continue;
    const m = patterns(entry[f], `${at}.${f}`);
    const get = FIELDS[f];
    checks.push((obs) => m(get(obs)));
  }
  for (const f of Object.keys(CONTEXT_FIELDS) as ContextFieldName[]) {
    if (entry[f] === undefined) continue;
    const m = patterns(entry[f], `${at}.${f}`);
    const get = CONTEXT_FIELDS[f];
    checks.push((_obs, _attrs, assessed) => assessed !== undefined && m(get(assessed)));
  }
  if (entry.cross_namespace !== undefined) {
    const want = entry.cross_namespace;
    if (typeof want !== 'boolean') throw new FilterRulesError(`${at}.cross_namespace: expected true or false, given ${JSON.stringify(want)}`);
    checks.push((_obs, _attrs, assessed) => assessed !== undefined && assessed.context.cross_namespace === want);
  }
  if (entry.attributes !== undefined) {
    if (!isRecord(entry.attributes) || Object.keys(entry.attributes).length === 0) {
      throw new FilterRulesError(`${at}.attributes: expected a mapping of attribute names to patterns`);
    }
    for (const [name, value] of Object.entries(entry.attributes)) {
      const m = patterns(value, `${at}.attributes.${name}`);
      // An attribute the point does not carry never matches (not even `*`).
      checks.push((_obs, attrs) => {
        const v = attrs()[name];
        return v !== undefined && m(v);
      });
    }
  }
  // An entry without conditions would silence everything; say `cluster: "*"` if that is meant.
  if (checks.length === 0) throw new FilterRulesError(`${at}: no condition; give at least one of ${CONDITIONS.join(', ')}`);
  const label = optionalText(entry.name, `${at}.name`) ?? at;
  const comment = optionalText(entry.comment, `${at}.comment`);
  const rule: FilterRule = { label, expiresMs: parseExpiry(entry.expires, `${at}.expires`), matches: (o, a, x) => checks.every((c) => c(o, a, x)) };
  if (comment !== undefined) rule.comment = comment;
  return rule;
}

/** A pattern or a list of them; YAML scalars other than strings (a numeric workload) are their text. */
function patterns(value: unknown, at: string): ValueMatcher {
  const list = Array.isArray(value) ? value : [value];
  if (list.length === 0) throw new FilterRulesError(`${at}: expected a pattern or a non-empty list of patterns`);
  const texts = list.map((v) => {
    if (typeof v === 'string' && v !== '') return v;
    if (typeof v === 'number' || typeof v === 'boolean') return String(v);
    throw new FilterRulesError(`${at}: expected a glob, a /regex/ or a list of them, given ${JSON.stringify(v)}`);
  });
  try {
    return compilePatterns(texts);
  } catch (err) {
    if (err instanceof PatternError) throw new FilterRulesError(`${at}: ${err.message}`);
    throw err;
  }
}

/**
 * `expires`: a date (`2026-12-31`, the rule stops matching at 00:00 UTC that day) or a date-time
 * (`2026-12-31T18:00:00+01:00`; without a zone it is UTC). YAML may hand over a Date already.
 */
export function parseExpiry(value: unknown, at: string): number {
  if (value === undefined || value === null) return Infinity;
  if (value instanceof Date && !Number.isNaN(value.getTime())) return value.getTime();
  if (typeof value !== 'string') throw new FilterRulesError(`${at}: expected a date like 2026-12-31 or a date-time, given ${JSON.stringify(value)}`);
  const text = value.trim();
  let ms = Number.NaN;
  if (/^\d{4}-\d{2}-\d{2}$/.test(text)) ms = Date.parse(`${text}T00:00:00Z`);
  else if (/^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?$/i.test(text)) {
    const iso = text.replace(' ', 'T');
    ms = Date.parse(/(Z|[+-]\d{2}:?\d{2})$/i.test(iso) ? iso : `${iso}Z`);
  }
  if (Number.isNaN(ms)) throw new FilterRulesError(`${at}: expected a date like 2026-12-31 or a date-time like 2026-12-31T18:00:00Z, given "${text}"`);
  return ms;
}

function optionalText(value: unknown, at: string): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string' || value.trim() === '') throw new FilterRulesError(`${at}: expected a non-empty string`);
  return value;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Date);
}

/** One entry given as an object (a stored rule, src/detect/stored-rules.ts): checked and compiled exactly as a rules file entry. */
export function compileRuleEntry(entry: unknown, at: string): FilterRule {
  return compileEntry(entry, at);
}

/** Compiled rules matched in order as one set (a rules file's, then the stored ones). */
export function filterRuleSet(rules: readonly FilterRule[]): FilterRuleSet {
  return ruleSet([...rules]);
}
