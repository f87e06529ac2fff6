module.exports = { ...require('../../jest.preset.cjs'), displayName: 'tools-hosts', rootDir: __dirname, testMatch: ['**/*.spec.ts'] };
