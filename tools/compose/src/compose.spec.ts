import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '@tenk/config';
import { RECIPES } from './base-images';
import type { Engine } from './engine';
import { ephemeralRange } from './ports';
import {
  baseImagesNeeded,
  CLUSTER_FILE,
  CLUSTER_PORTS,
  COMPOSE_FILES,
  COMPOSE_PORTS,
  composeFiles,
  composeProject,
  projectName,
} from './project';

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

  describe('the two forms (one broker, and --cluster)', () => {
    const config = () => loadConfig({ TENK_STATE_DIR: mkdtempSync(path.join(os.tmpdir(), 'tenk-compose-')) });

    it('gives the cluster form the cluster file after the other two, and the one-broker form only the two', () => {
      expect(composeFiles()).toEqual(COMPOSE_FILES);
      expect(composeFiles({ cluster: false })).toEqual(COMPOSE_FILES);
      expect(composeFiles({ cluster: true })).toEqual([...COMPOSE_FILES, CLUSTER_FILE]);
      expect(path.basename(CLUSTER_FILE)).toBe('docker-compose.cluster.yml');
    });

    it('names each form its own project, so neither starts on the other volumes or containers', () => {
      expect(projectName({}, {})).toBe('tenk-compose');
      expect(projectName({ cluster: true }, {})).toBe('tenk-compose-cluster');
      expect(projectName({ cluster: true }, { TENK_COMPOSE_PROJECT: 'mine' })).toBe('mine-cluster');
      expect(projectName({ cluster: false }, { TENK_COMPOSE_PROJECT: 'mine' })).toBe('mine');
    });

    it.each([1, 2] as const)('runs Compose v%s with the form files, its project name, its own api list and its ports', (version) => {
      const state = config();
      const single = composeProject(state, engine(version), 3);
      const cluster = composeProject(state, engine(version), 3, { cluster: true });
      expect([single.name, single.cluster, single.files]).toEqual(['tenk-compose', false, COMPOSE_FILES]);
      expect([cluster.name, cluster.cluster, cluster.files]).toEqual(['tenk-compose-cluster', true, [...COMPOSE_FILES, CLUSTER_FILE]]);
      // Each its own list of api containers: down of one never rewrites the running other's.
      expect(cluster.env['TENK_DOCKER_API_SERVERS']).not.toBe(single.env['TENK_DOCKER_API_SERVERS']);
      const separator = version === 2 ? '-' : '_';
      expect(readFileSync(cluster.env['TENK_DOCKER_API_SERVERS']!, 'utf8')).toContain(
        `server tenk-compose-cluster${separator}api${separator}1:3001 `,
      );
      expect(readFileSync(single.env['TENK_DOCKER_API_SERVERS']!, 'utf8')).toContain(
        `server tenk-compose${separator}api${separator}1:3001 `,
      );
      // The other two Kafka nodes' ports: checked and published by the cluster form only.
      expect(Object.keys(single.ports).filter((key) => CLUSTER_PORTS.includes(key))).toEqual([]);
      expect(CLUSTER_PORTS.map((key) => [key, cluster.ports[key], cluster.env[key]])).toEqual([
        ['TENK_DOCKER_KAFKA_2_PORT', 27093, '27093'],
        ['TENK_DOCKER_KAFKA_3_PORT', 27094, '27094'],
      ]);
      expect(cluster.shopUrl).toBe(single.shopUrl);
    });
  });
});
