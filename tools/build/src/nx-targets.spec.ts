import { existsSync, readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';

/**
 * Every project keeps the targets the README promises, so `nx affected` and `nx run-many`
 * cover the whole workspace: a build and a typecheck for each project with sources, an
 * int-test wherever `*.int-spec.ts` files live (else `nx affected -t int-test` would skip them),
 * and a layer and a scope tag for the module-boundaries rule.
 */
const ROOT = path.resolve(__dirname, '../../..');

interface ProjectJson {
  name: string;
  tags?: string[];
  targets?: Record<string, unknown>;
}

const projects = ['apps', 'libs', 'tools']
  .flatMap((dir) => readdirSync(path.join(ROOT, dir)).map((name) => `${dir}/${name}`))
  .filter((root) => existsSync(path.join(ROOT, root, 'project.json')));

function files(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? (entry.name === 'node_modules' ? [] : files(path.join(dir, entry.name))) : [path.join(dir, entry.name)],
  );
}

describe.each(projects)('%s', (root) => {
  const project = JSON.parse(readFileSync(path.join(ROOT, root, 'project.json'), 'utf8')) as ProjectJson;
  const hasSources = existsSync(path.join(ROOT, root, 'src'));
  const targets = Object.keys(project.targets ?? {});

  it('has one layer and one scope tag', () => {
    expect((project.tags ?? []).filter((tag) => tag.startsWith('layer:'))).toHaveLength(1);
    expect((project.tags ?? []).filter((tag) => tag.startsWith('scope:'))).toHaveLength(1);
  });

  if (hasSources) {
    it('has build and typecheck targets, and a tsconfig.json for the latter', () => {
      expect(targets).toEqual(expect.arrayContaining(['build', 'typecheck']));
      expect(existsSync(path.join(ROOT, root, 'tsconfig.json'))).toBe(true);
    });

    it('has an int-test target exactly when it has integration tests', () => {
      const hasIntSpecs = files(path.join(ROOT, root, 'src')).some((file) => file.endsWith('.int-spec.ts'));
      expect(targets.includes('int-test')).toBe(hasIntSpecs);
    });
  }
});

describe("the README's layer picture", () => {
  const readme = readFileSync(path.join(ROOT, 'README.md'), 'utf8');
  const picture = new Map(
    [...readme.matchAll(/^(layer:[a-z]+) {2,}(.+)$/gm)].map((match) => [match[1], match[2].trim().split(/\s+/).sort()] as const),
  );
  const tagged = new Map<string, string[]>();
  for (const root of projects.filter((project) => !project.startsWith('tools/'))) {
    const project = JSON.parse(readFileSync(path.join(ROOT, root, 'project.json'), 'utf8')) as ProjectJson;
    const layer = (project.tags ?? []).find((tag) => tag.startsWith('layer:'));
    if (layer && layer !== 'layer:test') tagged.set(layer, [...(tagged.get(layer) ?? []), project.name].sort());
  }

  it('names every app and lib under the layer its tags give it', () => {
    expect(Object.fromEntries(picture)).toEqual(Object.fromEntries(tagged));
  });
});
