module.exports = { ...require('../../jest.preset.cjs'), displayName: 'switches', rootDir: __dirname, testMatch: ['**/*.spec.ts'] };
