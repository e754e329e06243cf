import { loadConfig } from '../../../src/config/config';
import { ConfigError } from '../../../src/core/errors';

describe('traffic detection options', () => {
  test('defaults: only new_edge, and the verdict thresholds of the issue', () => {
    const c = loadConfig({ env: {} });
    expect(c.detections).toEqual(['new_edge']);
    expect([c.trafficMinBaselinePoints, c.trafficAnomalySigma, c.trafficMinAnomalies, c.trafficStdevFloorRatio, c.trafficMaxKeys]).toEqual([360, 3, 5, 0.05, 100_000]);
  });

  test('EDGEWATCH_DETECTIONS and the numbers from the environment', () => {
    const c = loadConfig({
      env: { EDGEWATCH_DETECTIONS: 'edge_traffic, process_inbound', EDGEWATCH_TRAFFIC_ANOMALY_SIGMA: '2.5', EDGEWATCH_TRAFFIC_STDEV_FLOOR_RATIO: '0', EDGEWATCH_TRAFFIC_MIN_ANOMALIES: '3' },
    });
    expect(c.detections).toEqual(['edge_traffic', 'process_inbound']);
    expect([c.trafficAnomalySigma, c.trafficStdevFloorRatio, c.trafficMinAnomalies]).toEqual([2.5, 0, 3]);
  });

  test.each([
    ['EDGEWATCH_DETECTIONS', 'new_edge,edge_trafic', /detections.*edge_trafic/],
    ['EDGEWATCH_DETECTIONS', ',', /detections/],
    ['EDGEWATCH_TRAFFIC_ANOMALY_SIGMA', '0', /traffic_anomaly_sigma/],
    ['EDGEWATCH_TRAFFIC_ANOMALY_SIGMA', 'three', /traffic_anomaly_sigma/],
    ['EDGEWATCH_TRAFFIC_STDEV_FLOOR_RATIO', '-0.1', /traffic_stdev_floor_ratio/],
    ['EDGEWATCH_TRAFFIC_MIN_BASELINE_POINTS', '0', /traffic_min_baseline_points/],
    ['EDGEWATCH_TRAFFIC_MAX_KEYS', '1.5', /traffic_max_keys/],
  ])('%s=%s is a ConfigError naming the field', (name, value, message) => {
    const load = () => loadConfig({ env: { [name]: value } });
    expect(load).toThrow(ConfigError);
    expect(load).toThrow(message);
  });
});
