// Two projects: `unit` is pure and fast; `integration` talks to real redis-server processes,
// SQLite files, gRPC and HTTP servers. `npm test` runs both in band (see package.json).
const transform = { '^.+\\.ts$': ['ts-jest', { tsconfig: '<rootDir>/tsconfig.test.json', diagnostics: false }] };
module.exports = {
  // Jest 29 reads testTimeout only at the top level; integration tests each stay under ~30 s.
  testTimeout: 30000,
  reporters: ['default', '<rootDir>/test/helpers/summary-reporter.js'],
  projects: [
    { displayName: 'unit', testEnvironment: 'node', transform, testMatch: ['<rootDir>/test/unit/**/*.test.ts'] },
    {
      displayName: 'integration',
      testEnvironment: 'node',
      transform,
      testMatch: ['<rootDir>/test/integration/**/*.test.ts'],
    },
  ],
};
