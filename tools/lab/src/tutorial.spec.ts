import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { EXPERIMENTS } from './experiments';
import { labCommands, TUTORIAL_DIR } from './tutorial';

describe('the tutorial and the lab agree', () => {
  const commands = labCommands();

  it('finds lab commands in the chapters', () => {
    expect(commands.length).toBeGreaterThan(0);
  });

  it.each(commands.map((command) => [`${command.chapter}:${command.line}`, command.experiment] as const))(
    '%s runs a real experiment (%s)',
    (_where, experiment) => {
      expect(EXPERIMENTS.map((e) => e.name)).toContain(experiment);
    },
  );

  it('explains every experiment in some chapter', () => {
    const explained = new Set(commands.map((command) => command.experiment));
    expect(EXPERIMENTS.map((e) => e.name).filter((name) => !explained.has(name))).toEqual([]);
  });

  it('links only chapters that exist from its index', () => {
    const index = readFileSync(path.join(TUTORIAL_DIR, 'README.md'), 'utf8');
    const links = [...index.matchAll(/\]\((\d\d-[a-z-]+\.md)\)/g)].map((match) => match[1]);
    expect(links.length).toBe(6);
    expect(links.filter((link) => !existsSync(path.join(TUTORIAL_DIR, link)))).toEqual([]);
  });
});
