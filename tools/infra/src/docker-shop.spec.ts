/**
 * docker/ for the whole shop: every image the compose file builds is a stage of the
 * Dockerfile, real nginx accepts docker/nginx.conf, and tenk's balancer accepts its Docker
 * setup (tenk.conf with docker/balancer/api-servers.conf). Both proxies route the same paths.
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parse } from 'yaml';
import { loadConfig } from '@tenk/config';

const ROOT = path.resolve(__dirname, '../../..');
const DOCKER = path.join(ROOT, 'docker');
const read = (file: string) => readFileSync(path.join(DOCKER, file), 'utf8');

/**
 * A service's environment as the container would see it: `${VAR:-default}` at its default (as
 * Compose fills it in) and the Docker secrets (/run/secrets/NAME) as files here.
 */
function withSecretFiles(environment: Record<string, string>): Record<string, string> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'tenk-secrets-'));
  return Object.fromEntries(
    Object.entries(environment).map(([name, given]) => {
      const value = given.replace(/\$\{\w+:-([^}]*)\}/g, '$1');
      const secret = /^\/run\/secrets\/(\w+)$/.exec(value);
      if (!secret) return [name, value];
      const file = path.join(dir, secret[1]);
      writeFileSync(file, `${secret[1]}-value\n`);
      return [name, file];
    }),
  );
}

describe('docker/ for the whole shop', () => {
  const stages = [...read('Dockerfile').matchAll(/^FROM \S+ AS (\S+)$/gm)].map((match) => match[1]);
  const shop = parse(read('docker-compose.shop.yml')) as { services: Record<string, { build?: { target?: string } }> };

  it('builds every service from a stage of the Dockerfile', () => {
    const targets = Object.values(shop.services).flatMap((service) => (service.build?.target ? [service.build.target] : []));
    expect(targets.length).toBeGreaterThanOrEqual(7);
    expect(targets.filter((target) => !stages.includes(target))).toEqual([]);
  });

  it('has an image for every app', () => {
    for (const app of ['api', 'media-worker', 'mailer', 'reports', 'balancer', 'payment-sim']) expect(stages).toContain(app);
  });

  it('trusts X-Forwarded-For from the two front proxies only, at their fixed addresses in the fixed subnet', () => {
    interface Service {
      environment?: Record<string, string>;
      networks?: { default?: { ipv4_address?: string } };
    }
    const file = parse(read('docker-compose.shop.yml'), { merge: true }) as { services: Record<string, Service> };
    const stack = parse(read('docker-compose.yml')) as {
      networks: { default: { ipam: { config: Array<{ subnet: string; ip_range?: string }> } } };
    };
    const config = loadConfig(withSecretFiles(file.services['api'].environment ?? {}));
    const proxies = ['balancer', 'nginx'].map((name) => file.services[name].networks?.default?.ipv4_address);
    expect(config.runtime.trustedProxies).toEqual(proxies);
    const [subnet] = stack.networks.default.ipam.config;
    expect(subnet.subnet).toBe('172.30.80.0/24');
    // Other containers take addresses from ip_range only: never a proxy's fixed one.
    expect(subnet).toMatchObject({ ip_range: '172.30.80.128/25' });
    expect(proxies.every((address) => address?.startsWith('172.30.80.'))).toBe(true);
  });

  it('gives every tenk container the passwords as Docker secrets, never in the file', () => {
    interface Service {
      environment?: Record<string, string>;
      secrets?: string[];
    }
    const file = parse(read('docker-compose.shop.yml'), { merge: true }) as { services: Record<string, Service> };
    const stack = parse(read('docker-compose.yml')) as { secrets: Record<string, { file: string }> };
    expect(stack.secrets).toEqual({ pg_password: { file: './secrets/pg_password' }, redis_password: { file: './secrets/redis_password' } });
    for (const [name, service] of Object.entries(file.services).filter(([, s]) => s.environment?.['TENK_PG_HOST'])) {
      expect([name, service.environment?.['TENK_PG_PASSWORD_FILE'], service.environment?.['TENK_REDIS_PASSWORD_FILE']]).toEqual([
        name,
        '/run/secrets/pg_password',
        '/run/secrets/redis_password',
      ]);
      expect([name, service.secrets]).toEqual([name, ['pg_password', 'redis_password']]);
      expect([name, service.environment?.['TENK_PG_PASSWORD'], service.environment?.['TENK_REDIS_PASSWORD']]).toEqual([
        name,
        undefined,
        undefined,
      ]);
      // The container reads them into its configuration.
      const config = loadConfig(withSecretFiles(service.environment ?? {}));
      expect([name, config.postgres.password, config.redis.queue.password]).toEqual([name, 'pg_password-value', 'redis_password-value']);
    }
    expect(readFileSync(path.join(ROOT, '.gitignore'), 'utf8')).toMatch(/^docker\/secrets\/$/m);
  });

  it('gives nginx and tenk the same locations', () => {
    const locations = (text: string) => [...text.matchAll(/^\s*location\s+([^{]+?)\s*\{/gm)].map((match) => match[1].trim()).sort();
    expect(locations(read('nginx.conf'))).toEqual(locations(readFileSync(path.join(ROOT, 'apps/balancer/conf/tenk.conf'), 'utf8')));
  });

  it('gives nginx and tenk the same list of api instances (one file, mounted into both)', () => {
    expect(read('nginx.conf')).toMatch(/upstream api \{[^}]*include \/etc\/nginx\/api-servers\.conf;[^}]*\}/);
    const services = (parse(read('docker-compose.shop.yml')) as { services: Record<string, { volumes?: string[] }> }).services;
    const mounted = (service: string, target: string) => services[service].volumes?.find((volume) => volume.endsWith(`:${target}:ro`));
    expect(mounted('nginx', '/etc/nginx/api-servers.conf')?.split(':')[0]).toBe(
      mounted('balancer', '/app/conf/api-servers.conf')?.split(':')[0],
    );
    expect(read('Dockerfile')).toContain('COPY docker/balancer/api-servers.conf /etc/nginx/api-servers.conf');
  });

  it('is accepted by real nginx (`nginx -t`, hostnames pointed at this machine)', () => {
    const prefix = mkdtempSync(path.join(os.tmpdir(), 'tenk-nginx-'));
    mkdirSync(path.join(prefix, 'logs'));
    writeFileSync(path.join(prefix, 'api-servers.conf'), read('balancer/api-servers.conf').replace(/tenk-api-\d+:3001/g, '127.0.0.1:3001'));
    const conf = read('nginx.conf')
      .replace('include /etc/nginx/api-servers.conf;', `include ${path.join(prefix, 'api-servers.conf')};`)
      .replace('include /etc/nginx/mime.types;', `include ${path.join(prefix, 'mime.types')};`)
      .replace(/\/dev\/stdout|\/dev\/stderr/g, path.join(prefix, 'logs/nginx.log'));
    writeFileSync(path.join(prefix, 'mime.types'), 'types { text/html html; }\n');
    writeFileSync(path.join(prefix, 'nginx.conf'), `pid ${path.join(prefix, 'nginx.pid')};\n${conf}`);
    const result = spawnSync(
      'nginx',
      ['-t', '-p', prefix, '-c', path.join(prefix, 'nginx.conf'), '-e', path.join(prefix, 'logs/error.log')],
      { encoding: 'utf8' },
    );
    expect(result.error).toBeUndefined();
    expect(result.stderr).toContain('test is successful');
    expect(result.status).toBe(0);
  });

  it("is accepted by tenk's balancer (`-t`) with the Docker api-servers.conf", () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'tenk-balancer-'));
    copyFileSync(path.join(ROOT, 'apps/balancer/conf/tenk.conf'), path.join(dir, 'tenk.conf'));
    copyFileSync(path.join(DOCKER, 'balancer/api-servers.conf'), path.join(dir, 'api-servers.conf'));
    const result = spawnSync(
      process.execPath,
      ['-r', path.join(ROOT, 'tools/register.cjs'), path.join(ROOT, 'apps/balancer/src/main.ts'), '-t', '-c', path.join(dir, 'tenk.conf')],
      { encoding: 'utf8' },
    );
    expect(`${result.stdout}${result.stderr}`).toContain('test is successful');
    expect(result.status).toBe(0);
  });
});
