import nx from '@nx/eslint-plugin';

/**
 * The architecture, enforced (README "Workspace"; `nx graph` draws it). Two tag dimensions:
 * - layer: platform (config, observability, switches, storage, control-plane, contracts) <-
 *   pattern (caching, database, messaging, resilience) <- domain (accounts, orders, media, reporting)
 *   <- app. A layer imports only the layers below it and its own; apps never import apps;
 *   tools sit beside the apps; `layer:test` (@tenk/testing, e2e) only from test code.
 * - scope: shared code (scope:shared) imports only shared code; the edge (balancer), the web
 *   (storefront) and the shop see their own scope and shared code.
 * tools/build/src/module-boundaries.spec.ts shows each rule failing a forbidden import.
 */
function boundaries({ testCode }) {
  const test = testCode ? ['layer:test'] : [];
  return {
    enforceBuildableLibDependency: true,
    allow: [],
    depConstraints: [
      { sourceTag: 'layer:platform', onlyDependOnLibsWithTags: ['layer:platform', ...test] },
      { sourceTag: 'layer:pattern', onlyDependOnLibsWithTags: ['layer:platform', 'layer:pattern', ...test] },
      { sourceTag: 'layer:domain', onlyDependOnLibsWithTags: ['layer:platform', 'layer:pattern', 'layer:domain', ...test] },
      { sourceTag: 'layer:app', onlyDependOnLibsWithTags: ['layer:platform', 'layer:pattern', 'layer:domain', ...test] },
      { sourceTag: 'layer:tool', onlyDependOnLibsWithTags: ['layer:platform', 'layer:pattern', 'layer:domain', 'layer:tool', ...test] },
      {
        sourceTag: 'layer:test',
        onlyDependOnLibsWithTags: ['layer:platform', 'layer:pattern', 'layer:domain', 'layer:app', 'layer:tool', 'layer:test'],
      },
      { sourceTag: 'scope:shared', onlyDependOnLibsWithTags: ['scope:shared'] },
      { sourceTag: 'scope:edge', onlyDependOnLibsWithTags: ['scope:edge', 'scope:shared'] },
      { sourceTag: 'scope:web', onlyDependOnLibsWithTags: ['scope:web', 'scope:shared'] },
      { sourceTag: 'scope:shop', onlyDependOnLibsWithTags: ['scope:shop', 'scope:shared'] },
    ],
  };
}

export default [
  ...nx.configs['flat/base'],
  ...nx.configs['flat/typescript'],
  ...nx.configs['flat/javascript'],
  {
    ignores: ['**/dist', '**/node_modules', '**/.tenk', '**/.nx', '**/coverage', '**/test-results', '**/vite.config.*.timestamp*'],
  },
  {
    files: ['**/*.ts', '**/*.js', '**/*.cjs', '**/*.mjs'],
    rules: { '@nx/enforce-module-boundaries': ['error', boundaries({ testCode: false })] },
  },
  {
    // Test code: specs, `testing/` folders (test apps and fixtures), the e2e suites, and the
    // lab's experiments (they start throwaway Redis servers and name scratch databases as
    // tests do) may also import @tenk/testing.
    files: ['**/*.spec.ts', '**/*.int-spec.ts', '**/*.e2e-spec.ts', '**/testing/**', 'e2e/**', 'tools/lab/src/experiments/**'],
    rules: { '@nx/enforce-module-boundaries': ['error', boundaries({ testCode: true })] },
  },
  {
    files: ['**/*.ts'],
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-empty': ['error', { allowEmptyCatch: false }],
      // Prettier's width: it wraps code, not the text inside strings, so those may run on.
      'max-len': ['error', { code: 140, ignoreStrings: true, ignoreTemplateLiterals: true, ignoreRegExpLiterals: true, ignoreUrls: true }],
    },
  },
  {
    files: ['**/*.spec.ts', '**/*.int-spec.ts', '**/*.e2e-spec.ts'],
    rules: { '@typescript-eslint/no-non-null-assertion': 'off' },
  },
  {
    files: ['**/*.cjs'],
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  {
    // Jest configs share the root preset by path; they are build config, not project code.
    files: ['**/jest.config.cjs'],
    rules: { '@nx/enforce-module-boundaries': 'off' },
  },
];
