module.exports = { ...require('../../jest.preset.cjs'), displayName: 'messaging', rootDir: __dirname, testMatch: ['**/*.spec.ts'] };
