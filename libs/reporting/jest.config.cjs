module.exports = { ...require('../../jest.preset.cjs'), displayName: 'reporting', rootDir: __dirname, testMatch: ['**/*.spec.ts'] };
