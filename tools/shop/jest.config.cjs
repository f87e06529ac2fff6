module.exports = { ...require('../../jest.preset.cjs'), displayName: 'shop', rootDir: __dirname, testMatch: ['**/*.spec.ts'] };
