module.exports = { ...require('../../jest.preset.cjs'), displayName: 'caching', rootDir: __dirname, testMatch: ['**/*.spec.ts'] };
