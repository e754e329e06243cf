/** Which learning-period lines a process logs (src/detect/learning-log.ts); timers are real and short. */
import { Writable } from 'node:stream';
import { LearningLog } from '../../../src/detect/learning-log';
import { createLogger } from '../../../src/telemetry/logger';

function rig(learningMs: number): { log: LearningLog; msgs: string[] } {
  const msgs: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, cb) {
      msgs.push((JSON.parse(chunk.toString()) as { msg: string }).msg);
      cb();
    },
  });
  return { log: new LearningLog(learningMs, createLogger('info', stream)), msgs };
}

const settle = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

test('a new cluster: entered once, left once, however often it is noted', async () => {
  const { log, msgs } = rig(100);
  const t = Date.now();
  log.noted('a', t, true);
  log.noted('a', t, false);
  log.noted('a', t, true);
  await settle(300);
  log.stop();
  expect(msgs.filter((m) => m.startsWith('cluster a entered'))).toHaveLength(1);
  expect(msgs.filter((m) => m.startsWith('cluster a left'))).toHaveLength(1);
});

test('a cluster the store knew (not created here) and still learning: only the left line; one past learning: nothing', async () => {
  const { log, msgs } = rig(100);
  log.noted('known', Date.now(), false);
  log.noted('old', Date.now() - 10_000, false);
  await settle(300);
  log.stop();
  expect(msgs).toEqual(['cluster known left its learning period: new edges of known now alert']);
});

test('resume: still-learning scopes get "is in its learning period" then "left"; finished ones nothing; the global scope is named as such', async () => {
  const { log, msgs } = rig(100);
  log.resume([
    { scope: 'b', firstPointMs: Date.now() },
    { scope: 'done', firstPointMs: Date.now() - 10_000 },
    { scope: '*', firstPointMs: Date.now() },
  ]);
  log.noted('b', Date.now(), true);
  await settle(300);
  log.stop();
  expect(msgs.filter((m) => m.includes(' b '))).toHaveLength(2);
  expect(msgs.some((m) => m.includes('done'))).toBe(false);
  expect(msgs).toContain('the global baseline (baseline_scope global) left its learning period: new edges of any cluster now alert');
  expect(msgs.some((m) => /entered/.test(m))).toBe(false);
});

test('learning_period 0 and a stopped log say nothing', async () => {
  const zero = rig(0);
  zero.log.noted('a', Date.now(), true);
  zero.log.resume([{ scope: 'a', firstPointMs: Date.now() }]);
  const stopped = rig(50);
  stopped.log.noted('a', Date.now(), true);
  stopped.log.stop();
  await settle(150);
  expect(zero.msgs).toEqual([]);
  expect(stopped.msgs.filter((m) => /left/.test(m))).toEqual([]);
});
