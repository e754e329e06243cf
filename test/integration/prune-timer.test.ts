/**
 * The periodic prune of a running service (prune_interval), on SQLite and on Redis: edges last
 * seen before now − baseline_window leave the store by the timer alone, fresher ones stay. The
 * service's clock is injected, so "31 days later" is a value, not a wait.
 */
import { status } from '@grpc/grpc-js';
import { reducerRequest } from '../helpers/otlp-fixtures';
import { startRedis, type RedisServer } from '../helpers/redis-server';
import { aligned, closeGrpcClients, grpcExport, startService, tempDir, type Running } from '../helpers/service-harness';

const DAY = 86_400_000;

let redis: RedisServer;
let tmp: ReturnType<typeof tempDir>;
beforeAll(async () => {
  redis = await startRedis();
  tmp = tempDir('ew-prune-');
});
afterAll(async () => {
  closeGrpcClients();
  await redis?.dispose();
  tmp?.cleanup();
});

const STORES: Array<[string, () => string]> = [
  ['sqlite', () => `sqlite:${tmp.dir}/prune.db`],
  ['redis', () => redis.url],
];

describe.each(STORES)('prune timer (%s store)', (_kind, storeUrl) => {
  let ew: Running | undefined;
  afterEach(async () => {
    await ew?.stop();
    ew = undefined;
  });

  test('removes edges older than the baseline window from the running service; newer ones stay', async () => {
    let clock = Date.now();
    ew = await startService({ store: storeUrl(), pruneIntervalMs: 100, baselineWindowMs: 30 * DAY }, { now: () => clock });
    const svc = ew;
    const send = async (src: string): Promise<void> => {
      const body = reducerRequest({ cluster: 'prod-eu', edges: [{ src, dst: 'db' }], names: ['tcp.packets'], metricsPerRequest: 1, timeMs: aligned(clock) }).protobuf;
      expect((await grpcExport(svc.ports.grpc, body)).code).toBe(status.OK);
    };
    const sources = async (): Promise<string[]> => (await svc.svc.store.listEdges({ limit: 100 })).map((e) => e.key.source).sort();

    await send('old-edge');
    expect(await sources()).toEqual(['old-edge']);
    clock += 31 * DAY;
    await send('new-edge');
    // Only the timer prunes here: nothing in this test calls prune().
    const deadline = Date.now() + 20_000;
    while ((await sources()).includes('old-edge')) {
      if (Date.now() > deadline) throw new Error('the prune timer never removed old-edge');
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(await sources()).toEqual(['new-edge']);
    expect(await svc.svc.store.countEdges()).toBe(1);
  });
});
