module.exports = { ...require('../../jest.preset.cjs'), displayName: 'tools-compose', rootDir: __dirname, testMatch: ['**/*.spec.ts'] };
