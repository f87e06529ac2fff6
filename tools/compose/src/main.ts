/**
 * tools/compose: the whole shop under Docker Compose, from nothing.
 *   npm run compose -- up [--scale N]    install Docker (Debian's docker.io and docker-compose)
 *                                        when missing, start dockerd, make the base images when
 *                                        no registry has them, build the app images, start the
 *                                        shop with --scale api=N (3), wait until it serves
 *   npm run compose -- down [--volumes]  stop and remove it (and its data and the untagged images
 *                                        earlier builds left); stop dockerd if `up` started it
 *   npm run compose -- prune             remove the untagged images earlier builds left (`up` does too)
 *   npm run compose -- status            its containers
 *   npm run compose -- test              the e2e journeys against it (e2e/src/compose.e2e-spec.ts)
 * With --cluster, each of them works on the cluster form instead (docker/docker-compose.cluster.yml
 * on top: three KRaft Kafka nodes, two shard servers; project tenk-compose-cluster), and `test`
 * also checks that topology.
 * Published on 127.0.0.1 only, on ports of its own (27080 for the shop; TENK_DOCKER_*, below the
 * ephemeral port range); `up` stops before building when one is taken, naming what holds it.
 */
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { isConfigError, loadConfig } from '@tenk/config';
import { down, imageSizes, prune, status, up } from './compose-shop';
import { ROOT } from './engine';

const COMMANDS = ['up', 'down', 'status', 'prune', 'test'] as const;
const log = (line: string) => process.stdout.write(`[compose] ${line}\n`);

async function main(): Promise<number> {
  const { positionals, values } = parseArgs({
    allowPositionals: true,
    options: {
      scale: { type: 'string', default: '3' },
      volumes: { type: 'boolean', default: false },
      cluster: { type: 'boolean', default: false },
    },
  });
  const [command] = positionals;
  if (!command || !(COMMANDS as readonly string[]).includes(command) || positionals.length > 1) {
    process.stderr.write(`usage: npm run compose -- ${COMMANDS.join(' | ')} [--scale N] [--volumes] [--cluster]\n`);
    return 2;
  }
  const scale = Number(values.scale);
  if (!Number.isInteger(scale) || scale < 1 || scale > 9) {
    process.stderr.write(`--scale takes 1 to 9 api containers; got ${values.scale}\n`);
    return 2;
  }
  const config = loadConfig();
  const form = { cluster: values.cluster };
  switch (command) {
    case 'up': {
      const shop = await up(config, log, scale, form);
      for (const { image, size } of await imageSizes(shop.engine, shop.project)) log(`image ${image.padEnd(40)} ${size}`);
      return 0;
    }
    case 'down':
      await down(config, log, { volumes: values.volumes, ...form });
      log('stopped');
      return 0;
    case 'status':
      return (await status(config, log, form)) ? 0 : 1;
    case 'prune':
      await prune(config, log, form);
      return 0;
    default: {
      // The suite brings the shop up and down itself; no e2e shop of tools/shop is started for it.
      // The pattern is the suite's own path (a bare "compose" also matches a checkout's folder).
      const jest = spawnSync(
        process.execPath,
        [
          path.join(ROOT, 'node_modules/.bin/jest'),
          '-c',
          path.join(ROOT, 'e2e/jest.config.cjs'),
          '--runInBand',
          'e2e/src/compose\\.e2e-spec\\.ts$',
        ],
        {
          cwd: ROOT,
          stdio: 'inherit',
          env: {
            ...process.env,
            TENK_E2E_SHOP: 'off',
            TENK_COMPOSE_SCALE: String(scale),
            TENK_COMPOSE_CLUSTER: values.cluster ? '1' : '',
          },
        },
      );
      return jest.status ?? 1;
    }
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`[compose] ${isConfigError(error) ? error.message : error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  },
);
