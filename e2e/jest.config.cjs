// End-to-end suites: against the whole shop, started once (globalSetup) the way `npm start`
// starts it, on its own ports (e2e/support/e2e-env.ts) so a shop you run yourself is left alone.
const path = require('node:path');
const preset = require('../jest.preset.cjs');

module.exports = {
  ...preset,
  displayName: 'e2e',
  rootDir: __dirname,
  testMatch: ['<rootDir>/src/**/*.e2e-spec.ts'],
  globalSetup: path.join(__dirname, 'support/global-setup.ts'),
  globalTeardown: path.join(__dirname, 'support/global-teardown.ts'),
  testTimeout: 120_000,
};
