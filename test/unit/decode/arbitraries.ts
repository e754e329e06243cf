/**
 * fast-check arbitraries of valid ExportMetricsServiceRequest objects in the shape
 * shuffle-encoder.ts takes: watched and unwatched names, Gauge / Sum / Histogram /
 * ExponentialHistogram / Summary / no data, 0..n points, attributes of every AnyValue kind
 * (nested), the attribute keys in use often (and duplicated), optional times and flags.
 */
import fc from 'fast-check';
import { DEFAULT_DECODER_OPTIONS as O } from '../../helpers/otlp-fixtures';

type Plain = Record<string, unknown>;

const KEYS_IN_USE = [O.clusterAttr, O.sourceAttr, O.destAttr, O.sourceNamespaceAttr, O.destNamespaceAttr];

const text = fc.oneof(fc.constantFrom('frontend', 'payments', '(internet)', 'prod-eu', ''), fc.string({ unit: 'grapheme', maxLength: 6 }));
const key = fc.oneof({ weight: 3, arbitrary: fc.constantFrom(...KEYS_IN_USE) }, fc.constantFrom('az_equal', '__proto__', '', 'k'), fc.string({ maxLength: 4 }));
const int64 = fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }).map(String);
const uint64 = fc.oneof(fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }), fc.bigInt({ min: 1700000000000000000n, max: 1800000000000000000n })).map(String);
const bytes = fc.uint8Array({ maxLength: 6 });

const values = fc.letrec<{ value: Plain; kv: Plain }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', maxDepth: 3 },
    fc.record({ stringValue: text }),
    fc.record({ boolValue: fc.boolean() }),
    fc.record({ intValue: int64 }),
    fc.record({ doubleValue: fc.double() }),
    fc.record({ bytesValue: bytes }),
    fc.constant({}),
    fc.record({ arrayValue: fc.record({ values: fc.array(tie('value'), { maxLength: 3 }) }) }),
    fc.record({ kvlistValue: fc.record({ values: fc.array(tie('kv'), { maxLength: 3 }) }) }),
  ),
  kv: fc.record({ key, value: tie('value') }, { requiredKeys: ['key'] }),
}));

/** Attribute lists: mostly string values (like the reducer's), sometimes any kind. */
const attributes = fc.array(
  fc.oneof(
    { weight: 3, arbitrary: fc.record({ key, value: fc.record({ stringValue: text }) }) },
    values.kv,
  ),
  { maxLength: 7 },
);

/** Point attributes: the keys in use usually present (as strings, sometimes another kind), then others. */
const pointAttributes = fc
  .tuple(
    ...KEYS_IN_USE.map((k, i) =>
      fc.oneof(
        { weight: i === 1 || i === 2 ? 8 : 2, arbitrary: fc.record({ key: fc.constant(k), value: fc.record({ stringValue: text }) }).map((kv) => [kv]) },
        { weight: 1, arbitrary: values.kv.map((kv) => [{ ...kv, key: k }]) },
        { weight: 1, arbitrary: fc.constant([]) },
      ),
    ),
    attributes,
  )
  .map((parts) => parts.flat());

const exemplar = fc.record(
  { filteredAttributes: attributes, timeUnixNano: uint64, asDouble: fc.double(), spanId: bytes, traceId: bytes },
  { requiredKeys: [] },
);

const numberPoint = fc
  .record(
    {
      attributes: pointAttributes,
      startTimeUnixNano: uint64,
      timeUnixNano: uint64,
      flags: fc.oneof({ weight: 4, arbitrary: fc.constantFrom(0, 2) }, fc.constantFrom(1, 3), fc.nat({ max: 2 ** 32 - 1 })),
      exemplars: fc.array(exemplar, { maxLength: 1 }),
      value: fc.oneof(fc.record({ asInt: int64 }), fc.record({ asDouble: fc.double() }), fc.constant({})),
    },
    { requiredKeys: ['attributes', 'value'] },
  )
  .map(({ value, ...p }) => ({ ...p, ...value }));

const points = fc.array(numberPoint, { maxLength: 3 });
const histogramPoint = fc.record(
  { attributes, timeUnixNano: uint64, count: uint64, sum: fc.double(), bucketCounts: fc.array(uint64, { maxLength: 3 }), explicitBounds: fc.array(fc.double(), { maxLength: 2 }), flags: fc.nat() },
  { requiredKeys: [] },
);

const data = fc.oneof(
  points.map((dataPoints) => ({ gauge: { dataPoints } })),
  fc.record({ dataPoints: points, aggregationTemporality: fc.constantFrom(0, 1, 2), isMonotonic: fc.boolean() }, { requiredKeys: ['dataPoints'] }).map((sum) => ({ sum })),
  fc.array(histogramPoint, { maxLength: 2 }).map((dataPoints) => ({ histogram: { dataPoints, aggregationTemporality: 1 } })),
  fc.array(fc.record({ attributes, scale: fc.integer({ min: -10, max: 10 }), positive: fc.record({ offset: fc.integer(), bucketCounts: fc.array(uint64, { maxLength: 2 }) }) }, { requiredKeys: [] }), { maxLength: 2 }).map((dataPoints) => ({ exponentialHistogram: { dataPoints } })),
  fc.array(fc.record({ attributes, count: uint64, quantileValues: fc.array(fc.record({ quantile: fc.double(), value: fc.double() }), { maxLength: 2 }) }, { requiredKeys: [] }), { maxLength: 2 }).map((dataPoints) => ({ summary: { dataPoints } })),
  fc.constant({}),
);

const metricName = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...O.metrics) },
  fc.constantFrom('tcp.bytes', 'udp.drops', 'tcp.packet', 'tcp.packets.x', 'dns.packets', ''),
  fc.string({ maxLength: 12 }),
);

const metric = fc
  .record({ name: metricName, description: text, unit: text, data, metadata: fc.array(values.kv, { maxLength: 1 }) }, { requiredKeys: ['name', 'data'] })
  .map(({ data: d, ...m }) => ({ ...m, ...d }));

const scope = fc.record({ name: text, version: text, attributes, droppedAttributesCount: fc.nat() }, { requiredKeys: [] });
const scopeMetrics = fc.record({ scope, metrics: fc.array(metric, { maxLength: 4 }), schemaUrl: text }, { requiredKeys: ['metrics'] });
const resource = fc.record({ attributes: fc.tuple(attributes, pointAttributes).map((parts) => parts.flat()), droppedAttributesCount: fc.nat() }, { requiredKeys: [] });
const resourceMetrics = fc.record({ resource, scopeMetrics: fc.array(scopeMetrics, { maxLength: 3 }), schemaUrl: text }, { requiredKeys: [] });

/** A valid ExportMetricsServiceRequest as a plain object. */
export const requestArb: fc.Arbitrary<Plain> = fc.record({ resourceMetrics: fc.array(resourceMetrics, { maxLength: 3 }) }, { requiredKeys: [] });
