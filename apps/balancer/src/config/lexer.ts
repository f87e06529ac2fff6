import { ConfigError } from './config-error';

export type TokenKind = 'word' | ';' | '{' | '}';

export interface Token {
  kind: TokenKind;
  /** The word with quotes removed and escapes resolved; the punctuation itself otherwise. */
  text: string;
  /** Written in quotes: `"{"` is a word, not a block. */
  quoted: boolean;
  line: number;
}

const SPACE = new Set([' ', '\t', '\r', '\n']);
const ESCAPES: Record<string, string> = { n: '\n', t: '\t', r: '\r', '"': '"', "'": "'", '\\': '\\' };

/**
 * Splits nginx configuration text into words and the three punctuation marks, as nginx's
 * ngx_conf_read_token does: `#` starts a comment, quotes group a word (with \" \' \\ \n \t
 * escapes), a backslash outside quotes escapes the next character, and `${name}` stays one
 * word.
 */
export function tokenize(source: string, file: string): Token[] {
  const tokens: Token[] = [];
  let line = 1;
  let i = 0;
  const length = source.length;
  while (i < length) {
    const char = source[i];
    if (char === '\n') {
      line++;
      i++;
      continue;
    }
    if (SPACE.has(char)) {
      i++;
      continue;
    }
    if (char === '#') {
      while (i < length && source[i] !== '\n') i++;
      continue;
    }
    if (char === ';' || char === '{' || char === '}') {
      tokens.push({ kind: char, text: char, quoted: false, line });
      i++;
      continue;
    }
    if (char === '"' || char === "'") {
      const startLine = line;
      let text = '';
      i++;
      for (;;) {
        if (i >= length)
          throw new ConfigError({ file, line: startLine }, `unexpected end of file: the string opened here with ${char} is never closed`);
        const c = source[i];
        if (c === '\\' && i + 1 < length && ESCAPES[source[i + 1]] !== undefined) {
          text += ESCAPES[source[i + 1]];
          i += 2;
          continue;
        }
        if (c === char) {
          i++;
          break;
        }
        if (c === '\n') line++;
        text += c;
        i++;
      }
      if (source[i] === ')') {
        // nginx allows `if ($uri ~ "^/x")`: the ")" closing an if's condition is its own word.
        tokens.push({ kind: 'word', text, quoted: true, line: startLine });
        tokens.push({ kind: 'word', text: ')', quoted: false, line });
        i++;
        continue;
      }
      if (i < length && !SPACE.has(source[i]) && source[i] !== ';' && source[i] !== '{' && source[i] !== '}') {
        throw new ConfigError(
          { file, line },
          `unexpected "${source[i]}" after the quoted string ${char}${text}${char}: put a space or ";" after it`,
        );
      }
      tokens.push({ kind: 'word', text, quoted: true, line: startLine });
      continue;
    }
    let text = '';
    while (i < length) {
      const c = source[i];
      if (SPACE.has(c) || c === ';' || c === '}') break;
      if (c === '{') {
        // `${var}` is part of a word; any other `{` opens a block.
        if (source[i - 1] !== '$') break;
        const close = source.indexOf('}', i);
        if (close === -1) throw new ConfigError({ file, line }, `the variable "\${" opened here is never closed with "}"`);
        text += source.slice(i, close + 1);
        i = close + 1;
        continue;
      }
      if (c === '\\' && i + 1 < length) {
        // As nginx: \" \' \\ \t \r \n are escapes, any other backslash stays (regexes: ^/x/\d+$).
        const escaped = ESCAPES[source[i + 1]];
        text += escaped ?? `\\${source[i + 1]}`;
        i += 2;
        continue;
      }
      if (c === '"' || c === "'") {
        throw new ConfigError({ file, line }, `unexpected quote in the middle of "${text}": quote the whole word instead`);
      }
      text += c;
      i++;
    }
    tokens.push({ kind: 'word', text, quoted: false, line });
  }
  return tokens;
}
