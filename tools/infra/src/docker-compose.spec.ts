/**
 * docker/docker-compose.yml mirrors tools/infra: the same service names on the same default
 * ports (tools/compose moves them with TENK_DOCKER_*). Checked by reading the files, and by the
 * Compose clients installed here; `npm run compose` runs them for real (e2e/src/compose.e2e-spec.ts).
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { loadConfig } from '@tenk/config';
import { SERVICES } from './stack';

const composeFile = path.resolve(__dirname, '../../../docker/docker-compose.yml');
const compose = parse(readFileSync(composeFile, 'utf8')) as { services: Record<string, { ports?: string[] }> };
const config = loadConfig({});
const hasCompose = spawnSync('docker', ['compose', 'version'], { stdio: 'ignore' }).status === 0;
const hasComposeV1 = spawnSync('docker-compose', ['version'], { stdio: 'ignore' }).status === 0;
const shopFile = path.resolve(composeFile, '../docker-compose.shop.yml');

describe('docker/docker-compose.yml', () => {
  it.each(SERVICES.map((service) => [service.name, [service.port(config), ...(service.extraPorts?.(config) ?? [])]] as const))(
    'has %s on the ports tools/infra uses',
    (name, ports) => {
      const service = compose.services[name];
      expect(service).toBeDefined();
      // Published as 127.0.0.1:${TENK_DOCKER_X_PORT:-default}:inner: the default is tools/infra's port.
      const published = (service.ports ?? []).map((mapping) => Number(/^127\.0\.0\.1:\$\{TENK_DOCKER_\w+:-(\d+)\}:/.exec(mapping)?.[1]));
      // The KRaft controller port is internal to the container network.
      const expected = name === 'kafka' ? ports.filter((port) => port !== config.kafka.controllerPort) : ports;
      expect(published.sort()).toEqual([...expected].sort());
      for (const mapping of service.ports ?? []) expect(mapping.startsWith('127.0.0.1:')).toBe(true);
    },
  );

  it('asks for passwords from Docker secrets: PostgreSQL (tenk and replicator) and both Redis servers', () => {
    const { services } = parse(readFileSync(composeFile, 'utf8'), { merge: true }) as {
      services: Record<string, { environment?: Record<string, string>; secrets?: string[]; command?: string[] }>;
    };
    expect(services['postgres-primary'].environment?.['POSTGRES_PASSWORD_FILE']).toBe('/run/secrets/pg_password');
    expect(services['postgres-primary'].environment?.['POSTGRES_PASSWORD']).toBeUndefined();
    expect(services['postgres-replica'].secrets).toEqual(['pg_password']);
    expect(readFileSync(path.resolve(composeFile, '../postgres/replica-entrypoint.sh'), 'utf8')).toContain(
      'PGPASSWORD="$(cat /run/secrets/pg_password)"',
    );
    for (const name of ['redis-cache', 'redis-queue']) {
      expect(services[name].secrets).toEqual(['redis_password']);
      expect(services[name].command?.join(' ')).toMatch(
        /printf 'requirepass %s\\n' "\$\$\(cat \/run\/secrets\/redis_password\)" > \/tmp\/auth\.conf .* redis-server \/tmp\/auth\.conf /,
      );
    }
    expect(readFileSync(composeFile, 'utf8')).not.toMatch(/PASSWORD: tenk|requirepass \w/);
  });

  (hasCompose ? it : it.skip)('is accepted by `docker compose config`, alone and with the shop', () => {
    for (const files of [[composeFile], [composeFile, shopFile]]) {
      const result = spawnSync('docker', ['compose', '-p', 'tenk', ...files.flatMap((f) => ['-f', f]), 'config', '-q'], {
        encoding: 'utf8',
      });
      expect(result.stderr).toBe('');
      expect(result.status).toBe(0);
    }
  });

  // Debian's docker-compose (Compose v1), which tools/compose installs, takes both files too.
  (hasComposeV1 ? it : it.skip)('is accepted by `docker-compose config` (Compose v1), alone and with the shop', () => {
    for (const files of [[composeFile], [composeFile, shopFile]]) {
      const result = spawnSync('docker-compose', ['-p', 'tenk', ...files.flatMap((f) => ['-f', f]), 'config', '-q'], { encoding: 'utf8' });
      expect(result.stderr).toBe('');
      expect(result.status).toBe(0);
    }
  });

  it('keeps every service on the internal network, and only published ports on the edge network', () => {
    const files = [composeFile, shopFile].map(
      (file) =>
        parse(readFileSync(file, 'utf8'), { merge: true }) as {
          services: Record<string, { ports?: string[]; networks?: string[] | Record<string, unknown> }>;
          networks?: Record<string, { internal?: boolean }>;
        },
    );
    expect(files[0].networks?.['default']?.internal).toBe(true);
    expect(files[0].networks?.['edge']?.internal).toBeUndefined();
    for (const { services } of files) {
      for (const [name, service] of Object.entries(services)) {
        const networks = Array.isArray(service.networks) ? service.networks : Object.keys(service.networks ?? { default: {} });
        expect([name, networks.includes('default')]).toEqual([name, true]);
        expect([name, networks.includes('edge')]).toEqual([name, (service.ports ?? []).length > 0]);
        for (const mapping of service.ports ?? []) expect([name, mapping.startsWith('127.0.0.1:')]).toEqual([name, true]);
      }
    }
  });
});
