import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '@tenk/config';
import { RECIPES } from './base-images';
import type { Engine } from './engine';
import { ephemeralRange } from './ports';
import { baseImagesNeeded, COMPOSE_PORTS, composeProject } from './project';

const engine = (version: 1 | 2): Engine => ({ docker: 'docker', compose: { command: 'docker', args: [], version }, env: {} });

describe('tools/compose', () => {
  it('has a recipe for every image the compose files and the Dockerfile start from', () => {
    const { build, run } = baseImagesNeeded();
    expect(build).toEqual(['node:20-bookworm-slim', 'nginx:1.27-bookworm']);
    expect(run.sort()).toEqual(['apache/kafka:3.9.1', 'jaegertracing/jaeger:2.12.0', 'postgres:15', 'redis:7']);
    const tags = RECIPES.map((recipe) => recipe.tag);
    expect([...build, ...run].filter((image) => !tags.includes(image))).toEqual([]);
    for (const recipe of RECIPES) expect(existsSync(path.resolve(__dirname, '../images', recipe.folder, 'Dockerfile'))).toBe(true);
  });

  it("publishes on ports of its own, none of tools/infra's", () => {
    const infra = loadConfig({});
    const taken = [
      infra.postgres.primary.port,
      infra.postgres.replica.port,
      infra.redis.cache.port,
      infra.redis.queue.port,
      infra.kafka.port,
      infra.mail.sinkHttpPort,
    ];
    expect(Object.values(COMPOSE_PORTS).filter((port) => taken.includes(port))).toEqual([]);
    expect(new Set(Object.values(COMPOSE_PORTS)).size).toBe(Object.keys(COMPOSE_PORTS).length);
  });

  it("publishes below the ephemeral port range (Linux's default and this machine's), where outgoing connections take ports", () => {
    const [low] = ephemeralRange();
    expect(Object.entries(COMPOSE_PORTS).filter(([, port]) => port >= Math.min(low, 32768))).toEqual([]);
  });

  it.each([
    [2, 'tenk-compose-api-3'],
    [1, 'tenk-compose_api_3'],
  ] as const)("lists the api containers by Compose v%s's names for the balancer", (version, third) => {
    const config = loadConfig({ TENK_STATE_DIR: mkdtempSync(path.join(os.tmpdir(), 'tenk-compose-')) });
    const project = composeProject(config, engine(version), 3);
    const servers = readFileSync(project.env['TENK_DOCKER_API_SERVERS']!, 'utf8');
    expect(servers.match(/^server \S+:3001 /gm)).toHaveLength(3);
    expect(servers).toContain(`server ${third}:3001 `);
    expect(project.shopUrl).toBe('http://127.0.0.1:27080');
  });
});
