import { readFileSync } from 'node:fs';
import path from 'node:path';
import { listenOnLoopback } from './shop';

describe('listenOnLoopback', () => {
  it('puts every port-only listen line on 127.0.0.1, keeping its parameters', () => {
    const conf = ['server {', '    listen 8080;', '    listen 8443 backlog=4096;', '    listen 9000 default_server backlog=64 ;', '}'].join(
      '\n',
    );
    expect(listenOnLoopback(conf).split('\n')).toEqual([
      'server {',
      '    listen 127.0.0.1:8080;',
      '    listen 127.0.0.1:8443 backlog=4096;',
      '    listen 127.0.0.1:9000 default_server backlog=64 ;',
      '}',
    ]);
  });

  it('leaves lines that already name an address, and other directives, alone', () => {
    const conf = '    listen 10.0.0.1:8080;\n    admin_listen 127.0.0.1:8081;\n    # listen 80;\n';
    expect(listenOnLoopback(conf)).toBe(conf);
  });

  it("covers the shop's own tenk.conf: no listen line of it is left on every address", () => {
    const shipped = readFileSync(path.resolve(__dirname, '../../../apps/balancer/conf/tenk.conf'), 'utf8');
    const rewritten = listenOnLoopback(shipped);
    const listens = rewritten.split('\n').filter((line) => /^\s*listen\s/.test(line));
    expect(listens.length).toBeGreaterThan(0);
    for (const line of listens) expect(line).toMatch(/^\s*listen\s+127\.0\.0\.1:\d+/);
  });
});
