module.exports = {
  ...require('../../jest.preset.cjs'),
  displayName: 'build',
  rootDir: __dirname,
  testMatch: ['**/*.spec.ts'],
  testTimeout: 60_000,
};
