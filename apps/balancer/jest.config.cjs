module.exports = { ...require('../../jest.preset.cjs'), displayName: 'balancer', rootDir: __dirname, testMatch: ['**/*.spec.ts'] };
