import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseConfigFile, parseConfigText } from './parser';

describe('parseConfigText', () => {
  it('builds a tree of directives with their lines', () => {
    const tree = parseConfigText('upstream api {\n  server a:1;\n  least_conn;\n}\nserver {\n  listen 80;\n}\n', 't.conf');
    expect(tree).toEqual([
      {
        name: 'upstream',
        args: ['api'],
        file: 't.conf',
        line: 1,
        block: [
          { name: 'server', args: ['a:1'], block: null, file: 't.conf', line: 2 },
          { name: 'least_conn', args: [], block: null, file: 't.conf', line: 3 },
        ],
      },
      {
        name: 'server',
        args: [],
        file: 't.conf',
        line: 5,
        block: [{ name: 'listen', args: ['80'], block: null, file: 't.conf', line: 6 }],
      },
    ]);
  });

  it.each([
    ['server {\n listen 80;\n', 't.conf:1: unexpected end of file: the "{" opened here is never closed with "}"'],
    ['listen 80;\n}\n', 't.conf:2: unexpected "}": there is no block to close here'],
    ['listen 80', 't.conf:1: "listen" unexpected end of file: expecting ";" or "{"'],
    ['server { listen 80 }', 't.conf:1: "listen" unexpected "}": the directive is missing its ";"'],
    [';', 't.conf:1: unexpected ";": a directive name was expected'],
    ['{ }', 't.conf:1: unexpected "{": a directive name was expected'],
    ['include a.conf b.conf;', 't.conf:1: "include" takes exactly one file name or glob, got 2'],
    ['include x { }', 't.conf:1: "include" takes a file name and ";", not a block'],
  ])('reports %j as file:line', (source, message) => {
    expect(() => parseConfigText(source, 't.conf')).toThrow(message);
  });
});

describe('parseConfigFile with include', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'tenk-parser-'));
  mkdirSync(path.join(dir, 'conf.d'));
  mkdirSync(path.join(dir, 'override'));
  writeFileSync(path.join(dir, 'main.conf'), 'upstream api {\n  include peers.conf;\n}\ninclude conf.d/*.conf;\ninclude nothing/*.conf;\n');
  writeFileSync(path.join(dir, 'peers.conf'), 'server 127.0.0.1:3001;\n');
  writeFileSync(path.join(dir, 'override', 'peers.conf'), 'server 127.0.0.1:4001;\nserver 127.0.0.1:4002;\n');
  writeFileSync(path.join(dir, 'conf.d', 'b.conf'), 'limit_req_zone $binary_remote_addr zone=b:1m rate=1r/s;\n');
  writeFileSync(path.join(dir, 'conf.d', 'a.conf'), 'limit_req_zone $binary_remote_addr zone=a:1m rate=1r/s;\n');
  writeFileSync(path.join(dir, 'conf.d', '.hidden.conf'), 'broken');
  writeFileSync(path.join(dir, 'loop-a.conf'), 'include loop-b.conf;\n');
  writeFileSync(path.join(dir, 'loop-b.conf'), 'include loop-a.conf;\n');
  writeFileSync(path.join(dir, 'missing.conf'), '\n\ninclude not-there.conf;\n');

  it('splices included directives where the include was, with their own file and line', () => {
    const parsed = parseConfigFile(path.join(dir, 'main.conf'));
    const upstream = parsed.directives[0];
    expect(upstream.block).toEqual([
      { name: 'server', args: ['127.0.0.1:3001'], block: null, file: expect.stringMatching(/peers\.conf$/), line: 1 },
    ]);
    // Globs expand in name order; hidden files are skipped; a glob matching nothing is fine.
    expect(parsed.directives.slice(1).map((d) => d.args[1])).toEqual(['zone=a:1m', 'zone=b:1m']);
    expect(parsed.files).toHaveLength(4);
  });

  it('searches -I folders first for relative includes (how the launcher replaces the peer list)', () => {
    const parsed = parseConfigFile(path.join(dir, 'main.conf'), { includeDirs: [path.join(dir, 'override')] });
    expect(parsed.directives[0].block?.map((d) => d.args[0])).toEqual(['127.0.0.1:4001', '127.0.0.1:4002']);
  });

  it('names a missing include and where it was looked for', () => {
    expect(() => parseConfigFile(path.join(dir, 'missing.conf'))).toThrow(
      /missing\.conf:3: "include" "not-there\.conf" not found \(looked in /,
    );
  });

  it('detects include cycles', () => {
    expect(() => parseConfigFile(path.join(dir, 'loop-a.conf'))).toThrow(
      /"include" include cycle: loop-a\.conf -> loop-b\.conf -> loop-a\.conf/,
    );
  });

  it('refuses wildcards in folder names', () => {
    writeFileSync(path.join(dir, 'wild.conf'), 'include */x.conf;\n');
    expect(() => parseConfigFile(path.join(dir, 'wild.conf'))).toThrow(/wildcards are supported in the file name only/);
  });

  it('says when the main file cannot be read', () => {
    expect(() => parseConfigFile(path.join(dir, 'nope.conf'))).toThrow(/nope\.conf: cannot read the configuration file: no such file/);
  });
});
