// Shared Jest settings: swc compiles TypeScript (with decorator metadata for Nest and
// TypeORM) and @tenk/* imports resolve to the libs' sources, as in tsconfig.base.json.
// Type-checking is its own step (`npm run typecheck`), so tests stay fast.
const path = require('node:path');

const { compilerOptions } = require('./tsconfig.base.json');

const swcOptions = {
  jsc: {
    parser: { syntax: 'typescript', decorators: true },
    target: 'es2022',
    // Rewrites @tenk/* imports at compile time, so code Jest loads outside its module system
    // (global setup) resolves them too.
    baseUrl: __dirname,
    paths: compilerOptions.paths,
    transform: { legacyDecorator: true, decoratorMetadata: true, useDefineForClassFields: false },
  },
  module: { type: 'commonjs' },
  sourceMaps: 'inline',
};

module.exports = {
  testEnvironment: 'node',
  transform: { '^.+\\.[tj]s$': ['@swc/jest', swcOptions] },
  moduleFileExtensions: ['ts', 'js', 'json'],
  moduleNameMapper: { '^@tenk/([a-z-]+)$': path.join(__dirname, 'libs/$1/src/index.ts') },
  testPathIgnorePatterns: ['/node_modules/', '/dist/'],
  // A project may have only integration tests (`*.int-spec.ts`); its unit target then passes.
  passWithNoTests: true,
  // Inside an Nx task, also write the counts for `npm test` (.tenk/test-results/<target>/).
  reporters: ['default', path.join(__dirname, 'tools/test-runner/jest-results-reporter.cjs')],
};
