import { randomUUID } from 'node:crypto';
import { ConfigResourceTypes, Kafka, logLevel } from 'kafkajs';
import { loadConfig } from '@tenk/config';
import { containers, dockerUnavailable, down, up, type ComposeShop } from '@tenk/compose';
import { bucketOfCustomer } from '@tenk/database';
import { eventually } from '@tenk/testing';
import { PASSWORD, ShopClient, someProduct, testVideo, uniqueEmail } from './access-support';
import { dockerContainer, dockerExec, signUpBehindProxy, sql } from './compose-cluster-support';
import { DESKTOP, launchChromium, openPage } from './storefront-support';

/**
 * The whole shop under Docker Compose (docker/docker-compose*.yml, `npm run compose -- up`):
 * the images built here (base images made locally where no registry answers), three api
 * containers behind tenk's balancer on 127.0.0.1, and a customer's journeys through it: browse,
 * sign up, order, upload and play a video, and the mail that arrives in the compose SMTP sink.
 * Skipped, saying why, only where Docker cannot run at all (not Linux, or no daemon to use and
 * no root to install and start one); anywhere else a failure to bring it up fails the suite.
 * Part of `npm test` (beside the other e2e suites, on published ports of its own below the
 * ephemeral range); alone: `npm run compose -- test [--scale N]`. With `--cluster`
 * (TENK_COMPOSE_CLUSTER=1; never in `npm test`: three Kafka JVMs and five PostgreSQL servers)
 * the same journeys run on docker/docker-compose.cluster.yml's topology, which is checked too:
 * three KRaft brokers, orders.events at 3 copies and min.insync.replicas=2, orders on both
 * shard servers.
 */
const unavailable = dockerUnavailable();
if (unavailable) process.stdout.write(`\n[compose] SKIPPED the compose suite: ${unavailable}\n`);
const describeWithDocker = unavailable ? describe.skip : describe;
const SCALE = Number(process.env['TENK_COMPOSE_SCALE'] ?? 3);
const CLUSTER = process.env['TENK_COMPOSE_CLUSTER'] === '1';
/** The cluster form's shard servers and the shard databases each holds (docker-compose.cluster.yml). */
const SHARD_SERVERS = { 'postgres-shard-a': ['shard_0', 'shard_1'], 'postgres-shard-b': ['shard_2', 'shard_3'] } as const;
type ShardServer = keyof typeof SHARD_SERVERS;
const config = loadConfig();
const log = (line: string) => process.stdout.write(`[compose] ${line}\n`);

interface SinkMessage {
  id: string;
  to: string[];
  subject: string;
}

const TITLE = `the shop under Docker Compose${CLUSTER ? ', cluster form' : ''}${unavailable ? ` (skipped: ${unavailable})` : ''}`;

describeWithDocker(TITLE, () => {
  let shop: ComposeShop | undefined;
  let url = '';
  const mailsTo = async (address: string): Promise<SinkMessage[]> =>
    (await (await fetch(`${shop!.project.mailUrl}/messages?to=${encodeURIComponent(address)}`)).json()) as SinkMessage[];
  const mailArrives = (address: string, subject: string) =>
    eventually(
      async () => (await mailsTo(address)).find((mail) => mail.subject === subject),
      `no mail "${subject}" to ${address} in the compose SMTP sink`,
      90_000,
      500,
    );

  beforeAll(async () => {
    // Cold (nothing cached) this builds every image: minutes on two cores; warm, about a minute.
    shop = await up(config, log, SCALE, { cluster: CLUSTER });
    url = shop.project.shopUrl;
  }, 45 * 60_000);

  afterAll(async () => {
    // A shop someone had running before the suite is left running.
    if (!shop?.wasServing) await down(config, log, { cluster: CLUSTER });
  }, 5 * 60_000);

  it(`runs ${SCALE} healthy api containers behind the balancer, published on 127.0.0.1 only`, async () => {
    const running = await containers(shop!.engine, shop!.project);
    expect(running.filter((c) => c.service === 'api').map((c) => [c.state, c.health])).toEqual(
      Array.from({ length: SCALE }, () => ['running', 'healthy']),
    );
    const ports = await fetch(`${url}/`);
    expect(ports.status).toBe(200);
    expect(ports.headers.get('content-type')).toContain('text/html');
  });

  it('serves the same shop through nginx (the nginx profile, docker/nginx.conf), on 127.0.0.1 too', async () => {
    const nginx = shop!.project.nginxUrl;
    const page = await fetch(`${nginx}/`);
    expect(page.status).toBe(200);
    expect(page.headers.get('server')).toMatch(/^nginx/);
    expect(await page.text()).toBe(await (await fetch(`${url}/`)).text());
    const products = await fetch(`${nginx}/products?limit=3`);
    expect(products.status).toBe(200);
    expect(((await products.json()) as { items: unknown[] }).items).toHaveLength(3);
  });

  it('lets a visitor browse the catalog in a browser', async () => {
    const chromium = await launchChromium();
    try {
      const { page, errors, run } = await openPage(chromium.browser, DESKTOP);
      await run('compose-browse', async () => {
        await page.goto(`${url}/`);
        await page.locator('.product-card').first().waitFor();
        expect(await page.locator('.product-card').count()).toBe(12);
        await page.getByRole('searchbox', { name: 'Search products' }).fill('mug');
        await page.getByRole('button', { name: 'Search' }).click();
        await page.getByTestId('result-count').filter({ hasText: 'matching “mug”' }).waitFor();
        const names = await page.locator('.product-card .product-name').allTextContents();
        expect(names.length).toBeGreaterThan(0);
        expect(names.every((name) => /mug/i.test(name))).toBe(true);
      });
      expect(errors).toEqual([]);
    } finally {
      await chromium.close();
    }
  });

  it('signs a customer up, takes an order, and mails the welcome and the order confirmation', async () => {
    const customer = new ShopClient(url);
    const email = uniqueEmail('compose');
    const signup = await customer.request('POST', '/users', { body: { email, name: 'Compose Customer', password: PASSWORD } });
    expect(signup.status).toBe(201);
    await mailArrives(email, 'Welcome to tenk, Compose Customer');

    const product = await someProduct(customer);
    const order = await customer.request<{ id: string; status: string; totalCents: number }>('POST', '/orders', {
      body: { lines: [{ productId: product.id, quantity: 2 }] },
      headers: { 'Idempotency-Key': randomUUID() },
    });
    expect(order.status).toBe(201);
    expect(order.body).toMatchObject({ status: 'placed', totalCents: 2 * product.priceCents });
    const me = signup.body as { id: string };
    const mine = await customer.request<{ items: Array<{ id: string }> }>('GET', `/customers/${me.id}/orders?limit=100`);
    expect(mine.body.items.map((item) => item.id)).toContain(order.body.id);
    // Through the outbox, Kafka and the mailer container.
    await mailArrives(email, `Your tenk order ${order.body.id} is confirmed`);
  });

  it('takes a video upload, transcodes it in the media-worker container, and plays it with Range requests', async () => {
    const owner = new ShopClient(url);
    const signup = await owner.request('POST', '/users', {
      body: { email: uniqueEmail('compose-video'), name: 'Video Owner', password: PASSWORD },
    });
    expect(signup.status).toBe(201);
    const upload = await owner.request<{ url: string; state: string }>('POST', '/videos', {
      raw: { data: await testVideo(2), contentType: 'video/mp4' },
    });
    expect(upload.status).toBe(202);
    const video = await eventually(
      async () => {
        const reply = await owner.request<{ state: string; error: string | null; renditions: Array<{ name: string; url: string }> }>(
          'GET',
          upload.body.url,
        );
        if (reply.body.state === 'failed') throw new Error(`the video failed: ${reply.body.error}`);
        return reply.body.state === 'ready' ? reply.body : undefined;
      },
      'the video never became ready',
      180_000,
      500,
    );
    // A 320x240 source: the 360p rendition (nothing is scaled up to 720p).
    expect(video.renditions.map((rendition) => rendition.name)).toEqual(['360p']);
    const part = await fetch(`${url}${video.renditions[0].url}`, { headers: { cookie: owner.cookie!, range: 'bytes=0-99' } });
    expect(part.status).toBe(206);
    expect(part.headers.get('content-type')).toBe('video/mp4');
    expect(Buffer.from(await part.arrayBuffer())).toHaveLength(100);
  });

  // The cluster form only (`npm run compose -- test --cluster`): the topology of `npm run hosts`.
  if (!CLUSTER) return;

  /** A Kafka admin client through the published port of node 1 (the others' come from the cluster's metadata). */
  const kafkaAdmin = () =>
    new Kafka({
      clientId: 'tenk-compose-e2e',
      brokers: [`127.0.0.1:${shop!.project.ports['TENK_DOCKER_KAFKA_PORT']}`],
      logLevel: logLevel.NOTHING,
    }).admin();

  it('runs three Kafka brokers in one KRaft quorum, orders.events on all three with min.insync.replicas=2', async () => {
    const admin = kafkaAdmin();
    await admin.connect();
    try {
      // Through the one published broker: the cluster's metadata names all three, each on its own port here.
      const { brokers } = await admin.describeCluster();
      const ports = shop!.project.ports;
      expect(brokers.map((b) => [b.nodeId, b.host, b.port]).sort()).toEqual([
        [1, '127.0.0.1', ports['TENK_DOCKER_KAFKA_PORT']],
        [2, '127.0.0.1', ports['TENK_DOCKER_KAFKA_2_PORT']],
        [3, '127.0.0.1', ports['TENK_DOCKER_KAFKA_3_PORT']],
      ]);
      const [topic] = (await admin.fetchTopicMetadata({ topics: ['orders.events'] })).topics;
      expect(topic.partitions).toHaveLength(6);
      for (const partition of topic.partitions) {
        expect([partition.partitionId, [...partition.replicas].sort()]).toEqual([partition.partitionId, [1, 2, 3]]);
        expect([partition.partitionId, [...partition.isr].sort()]).toEqual([partition.partitionId, [1, 2, 3]]);
      }
      const { resources } = await admin.describeConfigs({
        includeSynonyms: false,
        resources: [{ type: ConfigResourceTypes.TOPIC, name: 'orders.events', configNames: ['min.insync.replicas'] }],
      });
      expect(resources[0].configEntries.map((entry) => [entry.configName, entry.configValue])).toEqual([['min.insync.replicas', '2']]);
    } finally {
      await admin.disconnect();
    }
    // The quorum as Kafka's own tool reports it (kafka-metadata-quorum.sh's class), from inside node 1.
    const quorum = await dockerExec(shop!, 'kafka', [
      'java',
      '-Xmx64m',
      '-cp',
      '/opt/kafka/libs/*',
      'org.apache.kafka.tools.MetadataQuorumCommand',
      '--bootstrap-server',
      'kafka:19092',
      'describe',
      '--status',
    ]);
    const voters = /^CurrentVoters:\s*(.*)$/m.exec(quorum)?.[1] ?? '';
    expect([...voters.matchAll(/"id": (\d+)/g)].map((match) => Number(match[1]))).toEqual([1, 2, 3]);
    log(`KRaft quorum: ${quorum.trim().split('\n').join('; ')}`);
  });

  it('keeps the catalog on the primary and puts orders on both shard servers, each on the server its shard map names', async () => {
    const databases = async (service: string) =>
      (await sql(shop!, service, 'postgres', "SELECT datname FROM pg_database WHERE datname LIKE 'shard%' ORDER BY 1")).map(
        ([name]) => name,
      );
    expect(await databases('postgres-primary')).toEqual([]);
    for (const [server, shards] of Object.entries(SHARD_SERVERS)) expect([server, await databases(server)]).toEqual([server, shards]);

    // Where a customer's orders go: the live shard map (on the primary) and the customer's bucket.
    const [[owners]] = await sql(
      shop!,
      'postgres-primary',
      'shop',
      'SELECT array_to_json(owners) FROM shard_map ORDER BY version DESC LIMIT 1',
    );
    const map = JSON.parse(owners) as string[];
    const serverOf = (shard: string) =>
      (Object.entries(SHARD_SERVERS).find(([, held]) => (held as readonly string[]).includes(shard))?.[0] ?? '') as ShardServer;
    expect([...new Set(map.map(serverOf))].sort()).toEqual(['postgres-shard-a', 'postgres-shard-b']);

    // A customer for each server (signed up until one is found for each: their ids are the api's).
    const found: Partial<Record<ShardServer, { id: string; cookie: string; shard: string }>> = {};
    for (let tries = 0; tries < 24 && !(found['postgres-shard-a'] && found['postgres-shard-b']); tries++) {
      const customer = await signUpBehindProxy(shop!, {
        email: uniqueEmail('compose-shard'),
        name: 'Shard Customer',
        password: PASSWORD,
      });
      const shard = map[bucketOfCustomer(customer.id, map.length)];
      found[serverOf(shard)] ??= { ...customer, shard };
    }
    expect(Object.keys(found).sort()).toEqual(['postgres-shard-a', 'postgres-shard-b']);

    const product = await someProduct(new ShopClient(url));
    for (const [server, customer] of Object.entries(found) as Array<[ShardServer, { id: string; cookie: string; shard: string }]>) {
      const client = new ShopClient(url);
      client.cookie = customer.cookie;
      const order = await client.request<{ id: string }>('POST', '/orders', {
        body: { lines: [{ productId: product.id, quantity: 1 }] },
        headers: { 'Idempotency-Key': randomUUID() },
      });
      expect(order.status).toBe(201);
      // On its shard's database on that server, and on no other shard database anywhere.
      const holders: string[] = [];
      for (const [where, shards] of Object.entries(SHARD_SERVERS))
        for (const shard of shards)
          if ((await sql(shop!, where, shard, `SELECT count(*) FROM orders WHERE id = '${order.body.id}'`))[0][0] === '1')
            holders.push(`${where}/${shard}`);
      expect(holders).toEqual([`${server}/${customer.shard}`]);
    }
    const counts = await Promise.all(
      Object.entries(SHARD_SERVERS).flatMap(([server, shards]) =>
        shards.map(async (shard) => `${server}/${shard}: ${(await sql(shop!, server, shard, 'SELECT count(*) FROM orders'))[0][0]}`),
      ),
    );
    log(`orders per shard: ${counts.join(', ')}`);
  });

  it('takes orders and mails their confirmations with one Kafka node stopped (acks=all, two copies in sync), and takes the node back', async () => {
    const email = uniqueEmail('compose-kafka-down');
    const customer = new ShopClient(url);
    customer.cookie = (await signUpBehindProxy(shop!, { email, name: 'Kafka Down', password: PASSWORD })).cookie;
    const product = await someProduct(customer);
    const admin = kafkaAdmin();
    await admin.connect();
    const inSync = async () =>
      (await admin.fetchTopicMetadata({ topics: ['orders.events'] })).topics[0].partitions.map((p) => [...p.isr].sort());
    try {
      await dockerContainer(shop!, 'stop', 'kafka-3');
      // Node 3 leaves every partition's in-sync set; two copies remain, as many as a write needs.
      await eventually(
        async () => (await inSync()).every((isr) => isr.join() === '1,2') || undefined,
        'node 3 never left the in-sync sets of orders.events',
        90_000,
        1_000,
      );
      const order = await customer.request<{ id: string }>('POST', '/orders', {
        body: { lines: [{ productId: product.id, quantity: 1 }] },
        headers: { 'Idempotency-Key': randomUUID() },
      });
      expect(order.status).toBe(201);
      // Through the outbox relay (acks=all) and the mailer's consumer group, on nodes 1 and 2.
      await mailArrives(email, `Your tenk order ${order.body.id} is confirmed`);
    } finally {
      await dockerContainer(shop!, 'start', 'kafka-3');
      await eventually(
        async () => (await inSync()).every((isr) => isr.join() === '1,2,3') || undefined,
        'node 3 never came back into the in-sync sets of orders.events',
        120_000,
        1_000,
      ).finally(() => admin.disconnect());
    }
  });
});
