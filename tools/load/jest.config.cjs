module.exports = { ...require('../../jest.preset.cjs'), displayName: 'tools-load', rootDir: __dirname, testMatch: ['**/*.spec.ts'] };
