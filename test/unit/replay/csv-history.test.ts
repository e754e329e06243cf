import { CsvHistory, LineError, parseSplunkTime, splitCsv } from '../../../src/replay/csv-history';

describe('CSV history', () => {
  test('splits quoted fields', () => {
    expect(splitCsv('"a,b","c ""d""",e\r')).toEqual(['a,b', 'c "d"', 'e']);
    expect(() => splitCsv('"open')).toThrow(LineError);
  });

  test.each([
    ['1764324000', 1_764_324_000_000],
    ['1764324000.250', 1_764_324_000_250],
    ['2025-11-28T10:00:00.000+00:00', Date.parse('2025-11-28T10:00:00Z')],
    ['2025-11-28T11:00:00.000+01:00', Date.parse('2025-11-28T10:00:00Z')],
    ['2025-11-28 10:00:00 UTC', Date.parse('2025-11-28T10:00:00Z')],
    ['2025-11-28 10:00:00', Date.parse('2025-11-28T10:00:00Z')],
  ])('_time %s', (text, ms) => {
    expect(parseSplunkTime(text)).toBe(ms);
  });
  test('bad times', () => {
    for (const t of ['', 'yesterday', '28/11/2025']) expect(() => parseSplunkTime(t)).toThrow('bad _time');
  });

  test('columns by name, in any order; host stands in for the cluster; protocol column or default', () => {
    const h = new CsvHistory('"dest.workload.name","_time","host","source.workload.name","udp.packets_count"', undefined, undefined);
    expect(h.protocol).toBe('udp');
    expect(h.parse('db,1764324000,prod,api,12')).toEqual({ cluster: 'prod', protocol: 'udp', source: 'api', dest: 'db', timeMs: 1_764_324_000_000 });
    const p = new CsvHistory('_time,k8s.cluster.name,source.workload.name,dest.workload.name,protocol', undefined, undefined);
    expect(p.parse('1764324000,c,a,b,UDP').protocol).toBe('udp');
    expect(() => p.parse('1764324000,c,a,b,icmp')).toThrow('protocol not tcp or udp');
    expect(() => p.parse('1764324000,c,,b,tcp')).toThrow('missing source.workload.name');
  });

  test('a header without the needed columns names them; --cluster fills a missing cluster column', () => {
    expect(() => new CsvHistory('_time,source.workload.name', undefined, undefined)).toThrow(/dest\.workload\.name, k8s\.cluster\.name \(or --cluster\)/);
    const h = new CsvHistory('_time,source.workload.name,dest.workload.name', 'tcp', 'prod');
    expect(h.parse('1764324000,a,b')).toMatchObject({ cluster: 'prod', protocol: 'tcp' });
  });
});
