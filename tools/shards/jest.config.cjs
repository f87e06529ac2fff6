module.exports = { ...require('../../jest.preset.cjs'), displayName: 'tools-shards', rootDir: __dirname, testMatch: ['**/*.spec.ts'] };
