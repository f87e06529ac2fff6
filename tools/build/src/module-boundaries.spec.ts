import { execFileSync } from 'node:child_process';
import path from 'node:path';

/**
 * The layer and scope rules in eslint.config.mjs, run by the real ESLint on the real project
 * graph against small fixture files placed in real projects: each forbidden import fails, its
 * allowed twin passes. A rule that stopped biting would fail here.
 */
const ROOT = path.resolve(__dirname, '../../..');
const RULE = '@nx/enforce-module-boundaries';

/** Every case, linted in one ESLint process (ESLint loads its config by dynamic import, which Jest's VM refuses). */
const cases = new Map<string, { file: string; code: string }>();
const errors = new Map<string, string[]>();

const LINT_SCRIPT = `
const path = require('node:path');
const { ESLint } = require('eslint');
const cases = JSON.parse(require('node:fs').readFileSync(0, 'utf8'));
const eslint = new ESLint({ cwd: process.cwd() });
(async () => {
  const out = {};
  for (const [key, { file, code }] of cases) {
    const [result] = await eslint.lintText(code, { filePath: path.join(process.cwd(), file) });
    out[key] = result.messages.filter((m) => m.ruleId === '${RULE}' || m.fatal).map((m) => m.message);
  }
  process.stdout.write(JSON.stringify(out));
})();
`;

function importing(specifier: string): string {
  return `import * as imported from '${specifier}';\nexport const used = imported;\n`;
}

function lintCase(title: string, file: string, code: string): () => string[] {
  cases.set(title, { file, code });
  return () => errors.get(title) ?? ['not linted'];
}

beforeAll(() => {
  // The rule reads Nx's cached project graph; compute it as `npm run lint` does.
  const env = { ...process.env, NX_DAEMON: 'false', NX_NO_CLOUD: 'true' };
  execFileSync(process.execPath, [require.resolve('nx/bin/nx'), 'show', 'projects'], { cwd: ROOT, env, stdio: 'ignore' });
  const output = execFileSync(process.execPath, ['-e', LINT_SCRIPT], {
    cwd: ROOT,
    env,
    input: JSON.stringify([...cases]),
    encoding: 'utf8',
  });
  for (const [key, messages] of Object.entries(JSON.parse(output) as Record<string, string[]>)) errors.set(key, messages);
}, 60_000);

const forbidden: Array<[string, string, string, RegExp]> = [
  ['a platform lib imports a pattern lib', 'libs/storage/src/fixture.ts', '@tenk/resilience', /layer:platform/],
  ['a platform lib imports a domain lib', 'libs/storage/src/fixture.ts', '@tenk/accounts', /layer:platform/],
  ['a pattern lib imports a domain lib', 'libs/caching/src/fixture.ts', '@tenk/reporting', /layer:pattern/],
  ['a domain lib (not a spec) imports @tenk/testing', 'libs/media/src/fixture.ts', '@tenk/testing', /layer:domain/],
  ['app code (not a spec) imports @tenk/testing', 'apps/api/src/orders/fixture.ts', '@tenk/testing', /layer:app/],
  ['a pattern lib (not a spec) imports @tenk/testing', 'libs/caching/src/fixture.ts', '@tenk/testing', /layer:pattern/],
  ['a lib imports a tool', 'libs/accounts/src/fixture.ts', '@tenk/shop', /layer:domain/],
  ['a shared lib imports a shop lib', 'libs/contracts/src/fixture.ts', '@tenk/switches', /scope:shared/],
];

describe.each(forbidden)('%s', (title, file, specifier, tag) => {
  const messages = lintCase(title, file, importing(specifier));
  it('fails', () => {
    expect(messages().length).toBeGreaterThan(0);
    expect(messages().join('\n')).toMatch(tag);
  });
});

describe('an app imports another app', () => {
  const messages = lintCase('an app imports another app', 'apps/mailer/src/fixture.ts', importing('../../api/src/main'));
  it('fails', () => expect(messages().length).toBeGreaterThan(0));
});

const allowed: Array<[string, string, string]> = [
  ['a pattern lib imports a platform lib', 'libs/database/src/fixture.ts', '@tenk/config'],
  ['a domain lib imports a pattern lib', 'libs/media/src/fixture.ts', '@tenk/database'],
  ['an app imports a domain lib', 'apps/api/src/orders/fixture.ts', '@tenk/accounts'],
  ['a spec imports @tenk/testing', 'apps/api/src/orders/fixture.int-spec.ts', '@tenk/testing'],
  ['a testing/ folder imports @tenk/testing', 'apps/api/src/orders/testing/fixture.ts', '@tenk/testing'],
  ['an e2e suite imports @tenk/testing', 'e2e/src/fixture.e2e-spec.ts', '@tenk/testing'],
  ['a tool imports a tool', 'tools/load/src/fixture.ts', '@tenk/lab'],
];

describe.each(allowed)('%s', (title, file, specifier) => {
  const messages = lintCase(title, file, importing(specifier));
  it('passes', () => expect(messages()).toEqual([]));
});
