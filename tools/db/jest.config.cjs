module.exports = { ...require('../../jest.preset.cjs'), displayName: 'tools-db', rootDir: __dirname, testMatch: ['**/*.spec.ts'] };
