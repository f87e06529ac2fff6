module.exports = { ...require('../../jest.preset.cjs'), displayName: 'tools-admin', rootDir: __dirname, testMatch: ['**/*.spec.ts'] };
