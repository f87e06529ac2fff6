/**
 * docker/docker-compose.yml mirrors tools/infra: the same service names on the same ports.
 * These machines have no Docker engine, so consistency is checked by reading the file; where
 * the `docker compose` client exists, it must also accept the file.
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

describe('docker/docker-compose.yml', () => {
  it.each(SERVICES.map((service) => [service.name, [service.port(config), ...(service.extraPorts?.(config) ?? [])]] as const))(
    'has %s on the ports tools/infra uses',
    (name, ports) => {
      const service = compose.services[name];
      expect(service).toBeDefined();
      const published = (service.ports ?? []).map((mapping) => Number(mapping.split(':')[1]));
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

  (hasCompose ? it : it.skip)('is accepted by `docker compose config`', () => {
    const result = spawnSync('docker', ['compose', '-f', composeFile, 'config', '-q'], { encoding: 'utf8' });
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
  });
});
