module.exports = { ...require('../../jest.preset.cjs'), displayName: 'tools-infra', rootDir: __dirname, testMatch: ['**/*.spec.ts'] };
