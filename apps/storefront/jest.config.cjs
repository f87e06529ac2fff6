// Unit tests of the storefront's pure modules (router, cart, money, api errors): no browser
// needed. The pages are tested in Debian's chromium by e2e/src/storefront*.e2e-spec.ts.
module.exports = { ...require('../../jest.preset.cjs'), displayName: 'storefront', rootDir: __dirname, testMatch: ['**/*.spec.ts'] };
