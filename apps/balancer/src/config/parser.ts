import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { ConfigError } from './config-error';
import { Token, tokenize } from './lexer';

/** One directive as written: `name arg1 arg2;` or `name args { ...block }`. */
export interface Directive {
  name: string;
  args: string[];
  /** The directives inside `{ }`, or null for a simple `;` directive. */
  block: Directive[] | null;
  file: string;
  line: number;
}

export interface ParseOptions {
  /** Folders searched, in order, for a relative `include` path before the main file's folder. */
  includeDirs?: readonly string[];
}

export interface ParsedConfig {
  /** The main file, as given. */
  file: string;
  directives: Directive[];
  /** Every file read, the main one first (includes in the order met). */
  files: string[];
}

const MAX_INCLUDE_DEPTH = 16;

/**
 * Reads a configuration file into a tree of directives, following `include` wherever it
 * appears (as nginx does, before any directive is interpreted). Relative include paths
 * resolve against the folders given with `-I`, then the main file's folder (nginx resolves
 * them against its configuration prefix). A glob in the file name that matches nothing is
 * not an error; a plain path that does not exist is.
 */
export function parseConfigFile(file: string, options: ParseOptions = {}): ParsedConfig {
  const files: string[] = [];
  const baseDir = path.dirname(path.resolve(file));
  const context: IncludeContext = { baseDir, includeDirs: (options.includeDirs ?? []).map((dir) => path.resolve(dir)), files, stack: [] };
  const directives = readFile(file, context, { file, line: 0 });
  return { file, directives, files };
}

/** Parses configuration text that has no file (tests, the admin API's algorithm body). */
export function parseConfigText(source: string, file = '<text>', options: ParseOptions & { baseDir?: string } = {}): Directive[] {
  const context: IncludeContext = {
    baseDir: path.resolve(options.baseDir ?? process.cwd()),
    includeDirs: (options.includeDirs ?? []).map((dir) => path.resolve(dir)),
    files: [],
    stack: [file],
  };
  return parseTokens(tokenize(source, file), file, context);
}

interface IncludeContext {
  baseDir: string;
  includeDirs: string[];
  files: string[];
  /** Files being read, outermost first: catches include cycles. */
  stack: string[];
}

function readFile(file: string, context: IncludeContext, from: { file: string; line: number }): Directive[] {
  const absolute = path.resolve(file);
  if (context.stack.includes(absolute)) {
    const cycle = [...context.stack.slice(context.stack.indexOf(absolute)), absolute].map((f) => path.basename(f)).join(' -> ');
    throw new ConfigError({ ...from, directive: 'include' }, `include cycle: ${cycle}`);
  }
  if (context.stack.length >= MAX_INCLUDE_DEPTH) {
    throw new ConfigError({ ...from, directive: 'include' }, `includes are nested more than ${MAX_INCLUDE_DEPTH} deep`);
  }
  let source: string;
  try {
    source = readFileSync(absolute, 'utf8');
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (error as Error).message;
    if (from.line === 0) throw new ConfigError({ file, line: 0 }, `cannot read the configuration file: ${reason}`);
    throw new ConfigError({ ...from, directive: 'include' }, `cannot read "${file}": ${reason}`);
  }
  context.files.push(file);
  context.stack.push(absolute);
  try {
    return parseTokens(tokenize(source, file), file, context);
  } finally {
    context.stack.pop();
  }
}

function parseTokens(tokens: Token[], file: string, context: IncludeContext): Directive[] {
  let position = 0;

  const parseBlock = (depth: number, opened: Token | null): Directive[] => {
    const directives: Directive[] = [];
    for (;;) {
      const token = tokens[position];
      if (token === undefined) {
        if (opened)
          throw new ConfigError({ file, line: opened.line }, 'unexpected end of file: the "{" opened here is never closed with "}"');
        return directives;
      }
      if (token.kind === '}') {
        if (!opened) throw new ConfigError({ file, line: token.line }, 'unexpected "}": there is no block to close here');
        position++;
        return directives;
      }
      if (token.kind !== 'word') {
        throw new ConfigError({ file, line: token.line }, `unexpected "${token.text}": a directive name was expected`);
      }
      const name = token.text;
      const args: string[] = [];
      position++;
      for (;;) {
        const next = tokens[position];
        if (next === undefined) {
          throw new ConfigError({ file, line: token.line, directive: name }, 'unexpected end of file: expecting ";" or "{"');
        }
        if (next.kind === 'word') {
          args.push(next.text);
          position++;
          continue;
        }
        if (next.kind === ';') {
          position++;
          if (name === 'include') directives.push(...include(args, { file, line: token.line }));
          else directives.push({ name, args, block: null, file, line: token.line });
          break;
        }
        if (next.kind === '{') {
          position++;
          if (name === 'include')
            throw new ConfigError({ file, line: token.line, directive: name }, 'takes a file name and ";", not a block');
          const block = parseBlock(depth + 1, next);
          directives.push({ name, args, block, file, line: token.line });
          break;
        }
        throw new ConfigError({ file, line: next.line, directive: name }, 'unexpected "}": the directive is missing its ";"');
      }
    }
  };

  const include = (args: string[], where: { file: string; line: number }): Directive[] => {
    if (args.length !== 1) {
      throw new ConfigError({ ...where, directive: 'include' }, `takes exactly one file name or glob, got ${args.length}`);
    }
    const included: Directive[] = [];
    for (const target of resolveInclude(args[0], context, where)) included.push(...readFile(target, context, where));
    return included;
  };

  return parseBlock(0, null);
}

const GLOB = /[*?[]/;

function resolveInclude(pattern: string, context: IncludeContext, where: { file: string; line: number }): string[] {
  const isGlob = GLOB.test(pattern);
  if (isGlob && GLOB.test(path.dirname(pattern))) {
    throw new ConfigError(
      { ...where, directive: 'include' },
      `"${pattern}": wildcards are supported in the file name only, not in folder names`,
    );
  }
  const candidates = path.isAbsolute(pattern) ? [pattern] : [...context.includeDirs, context.baseDir].map((dir) => path.join(dir, pattern));
  if (!isGlob) {
    const found = candidates.find((candidate) => existsSync(candidate));
    if (found) return [displayPath(found)];
    const searched = candidates.map((candidate) => path.dirname(candidate)).join(', ');
    throw new ConfigError({ ...where, directive: 'include' }, `"${pattern}" not found (looked in ${searched})`);
  }
  for (const candidate of candidates) {
    const dir = path.dirname(candidate);
    if (!existsSync(dir)) continue;
    const matcher = globToRegExp(path.basename(candidate));
    const matches = readdirSync(dir)
      .filter((name) => matcher.test(name) && (!name.startsWith('.') || path.basename(candidate).startsWith('.')))
      .sort()
      .map((name) => path.join(dir, name))
      .filter((full) => statSync(full).isFile());
    if (matches.length > 0) return matches.map(displayPath);
  }
  return [];
}

/** Paths under the working directory are shown relative to it, as they were probably typed. */
function displayPath(file: string): string {
  const relative = path.relative(process.cwd(), file);
  return relative.startsWith('..') || path.isAbsolute(relative) ? file : relative;
}

function globToRegExp(glob: string): RegExp {
  let source = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i];
    if (c === '*') source += '[^/]*';
    else if (c === '?') source += '[^/]';
    else if (c === '[') {
      const close = glob.indexOf(']', i + 1);
      if (close === -1) source += '\\[';
      else {
        source += `[${glob
          .slice(i + 1, close)
          .replace(/^!/, '^')
          .replace(/\\/g, '\\\\')}]`;
        i = close;
      }
    } else source += c.replace(/[.+^${}()|\\]/g, '\\$&');
  }
  return new RegExp(`^${source}$`);
}
