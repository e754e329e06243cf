import type { DecodeResult, DropReason } from './core/observation';
import type { OtlpDecoder } from './decode/decoder';
import type { Detector } from './detect/detector';
import type { Stage } from './core/stage';
import type { TrafficSample } from './core/traffic';
import type { ExportAnswer, ExportHandler, ExportRequest } from './receiver/export-handler';
import type { Telemetry } from './telemetry/metrics';

const DROP_TEXT: Record<DropReason, string> = {
  missing_source: 'without a source workload name',
  missing_dest: 'without a destination workload name',
  no_value: 'flagged as having no recorded value',
};

/** The partial_success message: how many points were dropped, and why. */
export function dropMessage(dropped: DecodeResult['dropped']): ExportAnswer {
  let total = 0;
  const parts: string[] = [];
  for (const [reason, n] of Object.entries(dropped) as Array<[DropReason, number]>) {
    if (!n) continue;
    total += n;
    parts.push(`${n} ${DROP_TEXT[reason]}`);
  }
  return { rejectedDataPoints: total, errorMessage: total ? `edgewatch dropped ${total} data point(s): ${parts.join(', ')}` : '' };
}

/**
 * receiver → decode → detect (the new-edge detector, and the traffic stage when a traffic
 * detection is on): the handler both receivers call. A store failure propagates as
 * StoreUnavailableError so the receiver answers UNAVAILABLE / 503 and the collector retries.
 */
export function createExportHandler(decoder: OtlpDecoder, detector: Detector | null, telemetry: Telemetry, traffic: Stage<TrafficSample[], unknown> | null = null): ExportHandler {
  return async (req: ExportRequest): Promise<ExportAnswer> => {
    const decoded = req.format === 'json' ? decoder.decodeJson(req.body) : decoder.decodeProtobuf(req.body);
    const received = decoded.observations.length + Object.values(decoded.dropped).reduce((a, b) => a + (b ?? 0), 0);
    if (received > 0) telemetry.pointsReceived.add(received, { transport: req.transport });
    for (const [reason, n] of Object.entries(decoded.dropped)) if (n) telemetry.pointsDropped.add(n, { reason });
    // detector null: `new_edge` is not among the detections.
    if (detector !== null && decoded.observations.length > 0) await detector.consume(decoded.observations);
    // After the detector: a request it failed is retried by the collector, whose samples must not count twice.
    if (traffic !== null && decoded.samples !== undefined && decoded.samples.length > 0) await traffic.consume(decoded.samples);
    return dropMessage(decoded.dropped);
  };
}
