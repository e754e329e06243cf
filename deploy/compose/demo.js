'use strict';
/**
 * `npm run demo`: edgewatch on this machine with the demo traffic, an alert on the page and in the
 * log within a minute. Starts the built service (`bin/edgewatch.js serve`) on a fresh in-memory
 * store with learning_period 0 for this run only (the production default, 24 h, is unchanged),
 * and plays demo-traffic.js against it. Ctrl-C stops both.
 *
 *   DEMO_ADMIN_PORT   admin port (default 9464)
 *   DEMO_GRPC_PORT    OTLP gRPC port (default 4317), where the traffic goes
 *   DEMO_HTTP_PORT    OTLP HTTP port (default 4318)
 */
const { spawn } = require('node:child_process');
const { join } = require('node:path');

const root = join(__dirname, '..', '..');
const admin = process.env.DEMO_ADMIN_PORT || '9464';
// Ports by env so a test (test/integration/demo.test.ts) runs the demo beside other services.
const grpcPort = process.env.DEMO_GRPC_PORT || '4317';
const httpPort = process.env.DEMO_HTTP_PORT || '4318';
const env = {
  ...process.env,
  EDGEWATCH_STORE: 'memory:',
  EDGEWATCH_LEARNING_PERIOD: '0',
  EDGEWATCH_ADMIN_ADDR: `127.0.0.1:${admin}`,
  EDGEWATCH_OTLP_GRPC_ADDR: `127.0.0.1:${grpcPort}`,
  EDGEWATCH_OTLP_HTTP_ADDR: `127.0.0.1:${httpPort}`,
};
const service = spawn(process.execPath, [join(root, 'bin', 'edgewatch.js'), 'serve'], { env, stdio: 'inherit' });
let traffic = null;

const ready = () =>
  new Promise((resolve) => {
    const req = require('node:http').get({ host: '127.0.0.1', port: Number(admin), path: '/readyz', timeout: 1000 }, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.on('error', () => resolve(false));
    req.on('timeout', () => req.destroy());
  });

(async () => {
  for (let i = 0; i < 100 && !(await ready()); i++) await new Promise((r) => setTimeout(r, 200));
  console.error(`demo: edgewatch is up (learning_period 0 for this demo). Open http://localhost:${admin}/?cluster=demo`);
  traffic = spawn(process.execPath, [join(__dirname, 'demo-traffic.js')], {
    env: { ...process.env, OTLP_ENDPOINT: `http://127.0.0.1:${grpcPort}`, DEMO_CLUSTER: 'demo' },
    stdio: 'inherit',
  });
})();

const stop = () => {
  if (traffic) traffic.kill('SIGTERM');
  service.kill('SIGTERM');
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
service.on('exit', (code) => {
  if (traffic) traffic.kill('SIGTERM');
  process.exit(code ?? 0);
});
