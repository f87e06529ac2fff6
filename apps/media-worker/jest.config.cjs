module.exports = { ...require('../../jest.preset.cjs'), displayName: 'media-worker', rootDir: __dirname, testMatch: ['**/*.spec.ts'] };
