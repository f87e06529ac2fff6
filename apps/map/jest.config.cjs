module.exports = { ...require('../../jest.preset.cjs'), displayName: 'map', rootDir: __dirname, testMatch: ['**/*.spec.ts'] };
