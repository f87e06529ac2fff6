import { isConfigError } from './config-error';
import { tokenize } from './lexer';

const words = (source: string) => tokenize(source, 't.conf').map((token) => (token.kind === 'word' ? token.text : token.kind));

describe('tokenize', () => {
  it('splits words and punctuation, dropping comments', () => {
    expect(words('server 127.0.0.1:3001 weight=2; # a peer\nkeepalive 8;')).toEqual([
      'server',
      '127.0.0.1:3001',
      'weight=2',
      ';',
      'keepalive',
      '8',
      ';',
    ]);
    expect(words('location /api{proxy_pass http://api;}')).toEqual(['location', '/api', '{', 'proxy_pass', 'http://api', ';', '}']);
  });

  it('reads quoted words with escapes, and keeps punctuation inside quotes', () => {
    expect(words(`return 200 "ok; {fine}\\n";`)).toEqual(['return', '200', 'ok; {fine}\n', ';']);
    expect(words(`add_header X 'it\\'s';`)).toEqual(['add_header', 'X', "it's", ';']);
    // A backslash that is not an escape stays, as nginx: regexes keep \d; ")" after a quoted word is a word.
    expect(words(`location ~ ^/v\\d+/(\\w+)$ {`)).toEqual(['location', '~', '^/v\\d+/(\\w+)$', '{']);
    expect(words(`if ($uri ~ "^/a") {`)).toEqual(['if', '($uri', '~', '^/a', ')', '{']);
  });

  it('keeps ${var} in one word', () => {
    expect(words('proxy_set_header X-Host ${host}:$server_port;')).toEqual(['proxy_set_header', 'X-Host', '${host}:$server_port', ';']);
  });

  it('counts lines, including inside quoted strings', () => {
    const tokens = tokenize('a;\n"x\ny";\nb;', 't.conf');
    expect(tokens.map((token) => token.line)).toEqual([1, 1, 2, 3, 4, 4]);
  });

  it.each([
    ['return 200 "never closed;', /t\.conf:1: unexpected end of file: the string opened here with " is never closed/],
    ['return 200 "a"b;', /t\.conf:1: unexpected "b" after the quoted string "a"/],
    ['return 200 ab"c";', /t\.conf:1: unexpected quote in the middle of "ab"/],
    ['set ${unclosed;', /t\.conf:1: the variable "\$\{" opened here is never closed/],
  ])('rejects %j', (source, message) => {
    let error: unknown;
    try {
      tokenize(source, 't.conf');
    } catch (caught) {
      error = caught;
    }
    expect(isConfigError(error)).toBe(true);
    expect((error as Error).message).toMatch(message);
  });
});
