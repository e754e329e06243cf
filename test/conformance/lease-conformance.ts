import type { FeatureSuite } from './feature-suites';

/** Short enough to wait out, long enough that a renewal a few ms later is still inside it. */
const TTL_MS = 400;

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Named leases (acquireLease / releaseLease): one holder per name at a time, renewed by its
 * holder, taken over by another owner only once it runs out or is released. Grouped sinks rest
 * on this to have one replica deliver a sink at a time.
 */
export const leaseConformance: FeatureSuite = (store) => {
  describe('named leases', () => {
    it('a free lease is taken; while it runs, only its owner gets it (renewing it)', async () => {
      expect(await store().acquireLease('sink:slack', 'replica-a', 60_000)).toBe(true);
      expect(await store().acquireLease('sink:slack', 'replica-b', 60_000)).toBe(false);
      expect(await store().acquireLease('sink:slack', 'replica-a', 60_000)).toBe(true);
      expect(await store().acquireLease('sink:slack', 'replica-b', 60_000)).toBe(false);
    });

    it('names are independent, whatever characters they hold', async () => {
      const names = ['sink:slack:hooks.slack.com#0a1b2c3d', 'sink:webhook:soar.example.com/hook', 'ünï cødé {x} |:', ''];
      for (const [i, name] of names.entries()) expect(await store().acquireLease(name, `owner-${i}`, 60_000)).toBe(true);
      for (const [i, name] of names.entries()) {
        expect(await store().acquireLease(name, `owner-${i}`, 60_000)).toBe(true);
        expect(await store().acquireLease(name, 'someone-else', 60_000)).toBe(false);
      }
    });

    it('a lease that ran out (its holder died) is taken by another owner, and is then theirs', async () => {
      expect(await store().acquireLease('sink:x', 'dead', TTL_MS)).toBe(true);
      await sleep(TTL_MS + 100);
      expect(await store().acquireLease('sink:x', 'alive', 60_000)).toBe(true);
      expect(await store().acquireLease('sink:x', 'dead', 60_000)).toBe(false);
      expect(await store().releaseLease('sink:x', 'dead')).toBe(false);
      expect(await store().acquireLease('sink:x', 'other', 60_000)).toBe(false);
    });

    it('renewing moves the end: a lease renewed before it ran out is still held after the first ttl', async () => {
      expect(await store().acquireLease('sink:renewed', 'a', TTL_MS)).toBe(true);
      await sleep(TTL_MS / 2);
      expect(await store().acquireLease('sink:renewed', 'a', 60_000)).toBe(true);
      await sleep(TTL_MS / 2 + 150);
      expect(await store().acquireLease('sink:renewed', 'b', 60_000)).toBe(false);
    });

    it('release frees the lease for the next owner; only the holder can release it', async () => {
      expect(await store().acquireLease('sink:r', 'a', 60_000)).toBe(true);
      expect(await store().releaseLease('sink:r', 'b')).toBe(false);
      expect(await store().acquireLease('sink:r', 'b', 60_000)).toBe(false);
      expect(await store().releaseLease('sink:r', 'a')).toBe(true);
      expect(await store().releaseLease('sink:r', 'a')).toBe(false);
      expect(await store().acquireLease('sink:r', 'b', 60_000)).toBe(true);
      expect(await store().releaseLease('never-taken', 'a')).toBe(false);
    });

    it('concurrent acquires of one free lease: exactly one owner wins', async () => {
      const owners = Array.from({ length: 12 }, (_, i) => `replica-${i}`);
      const won = await Promise.all(owners.map((o) => store().acquireLease('sink:race', o, 60_000)));
      expect(won.filter(Boolean)).toHaveLength(1);
      const winner = owners[won.indexOf(true)];
      expect(await store().acquireLease('sink:race', winner, 60_000)).toBe(true);
    });
  });
};
