module.exports = { ...require('../../jest.preset.cjs'), displayName: 'payment-sim', rootDir: __dirname, testMatch: ['**/*.spec.ts'] };
