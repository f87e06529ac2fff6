/**
 * Looking inside the compose shop's containers (`docker exec`), for the cluster form's checks in
 * compose.e2e-spec.ts: SQL on a PostgreSQL container, Kafka's own tools on a broker, and sign-ups
 * made behind the trusted front proxy.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { containers, type ComposeShop } from '@tenk/compose';
import { newClientAddress } from './access-support';

const run = promisify(execFile);

/** The (first) running container of a Compose service. */
export async function containerOf(shop: ComposeShop, service: string): Promise<string> {
  const found = (await containers(shop.engine, shop.project)).find((c) => c.service === service && c.state === 'running');
  if (!found) throw new Error(`no running container of service ${service} in project ${shop.project.name}`);
  return found.name;
}

/** `docker exec CONTAINER ...args`: its standard output (a failure throws with its output). */
export async function dockerExec(shop: ComposeShop, service: string, args: string[]): Promise<string> {
  const { stdout } = await run(shop.engine.docker, ['exec', await containerOf(shop, service), ...args], {
    env: shop.engine.env,
    maxBuffer: 16 * 1024 * 1024,
  });
  return stdout;
}

/** `docker stop` / `docker start` of a service's container. */
export async function dockerContainer(shop: ComposeShop, action: 'stop' | 'start', service: string): Promise<void> {
  const name = (await containers(shop.engine, shop.project)).find((c) => c.service === service)?.name;
  if (!name) throw new Error(`no container of service ${service} in project ${shop.project.name}`);
  await run(shop.engine.docker, [action, name], { env: shop.engine.env });
}

/** One SQL query on a PostgreSQL service's database, as the tenk role over the container's socket: the rows, fields tab-separated. */
export async function sql(shop: ComposeShop, service: string, database: string, query: string): Promise<string[][]> {
  const out = await dockerExec(shop, service, [
    'psql',
    '-U',
    'tenk',
    '-d',
    database,
    '-v',
    'ON_ERROR_STOP=1',
    '-tA',
    '-F',
    '\t',
    '-c',
    query,
  ]);
  return out
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => line.split('\t'));
}

/**
 * A customer signed up behind the front proxy, as a shop with many clients sees them: posted
 * from inside the balancer's container (one of the two addresses the api takes
 * X-Forwarded-For from) to the api containers, each with an address of its own. From this
 * machine every request reaches the balancer from one address (Docker's), and sign-ups are
 * limited per client address (TENK_SIGNUP_MAX_PER_CLIENT, 10 an hour).
 */
export async function signUpBehindProxy(
  shop: ComposeShop,
  account: { email: string; name: string; password: string },
): Promise<{ id: string; cookie: string }> {
  const script = [
    'const [client, body] = process.argv.slice(1);',
    "fetch('http://api:3001/users', { method: 'POST', headers: { 'content-type': 'application/json', 'x-forwarded-for': client }, body })",
    '  .then(async (r) => console.log(JSON.stringify({ status: r.status, cookies: r.headers.getSetCookie(), body: await r.text() })))',
    '  .catch((e) => { console.error(e); process.exit(1); });',
  ].join('\n');
  const out = await dockerExec(shop, 'balancer', ['node', '-e', script, newClientAddress(), JSON.stringify(account)]);
  const reply = JSON.parse(out.trim().split('\n').at(-1) ?? '') as { status: number; cookies: string[]; body: string };
  const session = reply.cookies.find((line) => line.startsWith('tenk_session='));
  if (reply.status !== 201 || !session)
    throw new Error(`sign-up of ${account.email} behind the proxy answered ${reply.status}: ${reply.body}`);
  return { id: (JSON.parse(reply.body) as { id: string }).id, cookie: session.split(';')[0] };
}
