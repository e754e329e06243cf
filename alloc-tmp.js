const v8 = require('v8');
const { buildWorkload } = require('./dist-bench/bench/reducer-requests.js');
const { OtlpDecoder } = require('./dist/decode/decoder.js');
const { Detector } = require('./dist/detect/detector.js');
const { Telemetry } = require('./dist/telemetry/metrics.js');
const { configWith } = require('./dist/config/config.js');
const { MemoryStore } = require('./dist/store/memory/memory-store.js');
const cfg = configWith({});
const wl = buildWorkload({ shapes: 10, edgesPerRequest: 84, slots: 10, endMs: Date.now() });
const dec = new OtlpDecoder(cfg);
const tel = new Telemetry();
const det = new Detector(new MemoryStore(), { ...cfg, learningPeriodMs: 0, cacheMaxEdges: 100000 }, tel);
const used = () => v8.getHeapStatistics().used_heap_size;
(async () => {
  for (const w of wl.slice(0, 10)) await det.consume(dec.decodeProtobuf(w.bytes).observations);
  for (let i = 0; i < 200; i++) { const w = wl[10 + (i % 90)]; await det.consume(dec.decodeProtobuf(w.bytes).observations); }
  await det.flush();
  const N = 40;
  let u0 = used(); for (let i = 0; i < N; i++) dec.decodeProtobuf(wl[10 + i].bytes); const dDec = (used() - u0) / N;
  const obs = []; for (let i = 0; i < N; i++) obs.push(dec.decodeProtobuf(wl[50 + i].bytes).observations);
  u0 = used(); for (let i = 0; i < N; i++) await det.consume(obs[i]); const dDet = (used() - u0) / N;
  console.log('decode KB/req', (dDec / 1024).toFixed(1), 'detect KB/req', (dDet / 1024).toFixed(1), 'obs/req', obs[0].length);
})();
