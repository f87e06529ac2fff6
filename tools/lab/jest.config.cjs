module.exports = { ...require('../../jest.preset.cjs'), displayName: 'tools-lab', rootDir: __dirname, testMatch: ['**/*.spec.ts'] };
