import type { FeatureSuite } from './feature-suites';
import { T0 } from './store-conformance';

/**
 * listScopes: every scope touchScope recorded, with its earliest point, sorted by name. The
 * admin API's GET /api/v1/clusters builds the learning state of each cluster from it.
 */
export const scopesConformance: FeatureSuite = (store) => {
  describe('listScopes', () => {
    it('is empty before any point', async () => {
      expect(await store().listScopes()).toEqual([]);
    });

    it('lists each scope once with its earliest point, by name, whatever characters it holds', async () => {
      const names = ['prod-eu', 'dev', 'ünï {x} |:', '*'];
      for (const [i, name] of names.entries()) {
        await store().touchScope(name, T0 + i * 1000);
        await store().touchScope(name, T0 + i * 1000 + 60_000);
        await store().touchScope(name, T0 + i * 1000 - 30_000);
      }
      const expected = names.map((scope, i) => ({ scope, firstPointMs: T0 + i * 1000 - 30_000 })).sort((a, b) => (a.scope < b.scope ? -1 : a.scope > b.scope ? 1 : 0));
      expect(await store().listScopes()).toEqual(expected);
    });
  });
};
