import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

export const TUTORIAL_DIR = path.resolve(__dirname, '../../../docs/tutorial');

export interface TutorialCommand {
  chapter: string;
  line: number;
  experiment: string;
  args: string[];
}

/** Every `npm run lab -- <experiment> [args]` line inside a chapter's fenced code blocks. */
export function labCommands(dir = TUTORIAL_DIR): TutorialCommand[] {
  const commands: TutorialCommand[] = [];
  for (const chapter of readdirSync(dir)
    .filter((name) => /^\d\d-.*\.md$/.test(name))
    .sort()) {
    let fenced = false;
    readFileSync(path.join(dir, chapter), 'utf8')
      .split('\n')
      .forEach((text, index) => {
        if (/^\s*```/.test(text)) fenced = !fenced;
        const match = fenced ? /^\s*(?:\$\s*)?npm run lab -- ([a-z0-9-]+)((?:\s+[^#]*)?)/.exec(text) : null;
        if (match) commands.push({ chapter, line: index + 1, experiment: match[1], args: match[2].trim().split(/\s+/).filter(Boolean) });
      });
  }
  return commands;
}
