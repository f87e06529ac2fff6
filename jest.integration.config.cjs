// Integration tests (`*.int-spec.ts`) talk to the real services that `npm run infra -- up`
// starts: PostgreSQL primary + replica + shards, both Redis servers, Kafka, the SMTP sink.
const preset = require('./jest.preset.cjs');

module.exports = {
  ...preset,
  displayName: 'integration',
  rootDir: __dirname,
  roots: ['<rootDir>/apps', '<rootDir>/libs', '<rootDir>/tools'],
  testMatch: ['**/*.int-spec.ts'],
  testTimeout: 60_000,
  maxWorkers: 2,
};
