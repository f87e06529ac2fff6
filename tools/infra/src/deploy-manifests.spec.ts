/**
 * deploy/kubernetes: manifests for running tenk on an existing cluster. No cluster is
 * reachable here, so they are checked by reading: every resource parses, the configuration
 * they give the pods is valid for libs/config (the pods would start), probes and ports match
 * the apps, and every image is a stage of docker/Dockerfile.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parseAllDocuments } from 'yaml';
import { DEFAULT_PORTS, loadConfig } from '@tenk/config';

const ROOT = path.resolve(__dirname, '../../..');
const DIR = path.join(ROOT, 'deploy/kubernetes');

interface Resource {
  kind: string;
  metadata: { name: string };
  data?: Record<string, string>;
  stringData?: Record<string, string>;
  spec?: Record<string, unknown>;
}

const docs = (file: string): Resource[] =>
  parseAllDocuments(readFileSync(path.join(DIR, file), 'utf8')).map((doc) => doc.toJS() as Resource);
const kustomization = docs('kustomization.yaml')[0] as unknown as { resources: string[]; images: Array<{ name: string }> };
const resources = kustomization.resources.flatMap(docs);
const stages = [...readFileSync(path.join(ROOT, 'docker/Dockerfile'), 'utf8').matchAll(/^FROM \S+ AS (\S+)$/gm)].map((match) => match[1]);

interface Container {
  image: string;
  ports?: Array<{ containerPort: number }>;
  readinessProbe?: { httpGet: { path: string } };
  livenessProbe?: { httpGet: { path: string } };
  envFrom?: Array<{ configMapRef?: { name: string }; secretRef?: { name: string } }>;
}

const containersOf = (resource: Resource): Container[] =>
  (resource.spec as { template: { spec: { containers: Container[] } } }).template.spec.containers;

describe('deploy/kubernetes', () => {
  it('lists resources that parse', () => {
    expect(resources.length).toBeGreaterThanOrEqual(10);
    expect(resources.every((resource) => typeof resource.kind === 'string' && resource.metadata?.name)).toBe(true);
  });

  it('gives the pods a configuration libs/config accepts, the shard map on two servers', () => {
    const config = resources.find((resource) => resource.kind === 'ConfigMap' && resource.metadata.name === 'tenk-config')!;
    const secret = docs('secret.example.yaml')[0];
    const loaded = loadConfig({ ...config.data, ...secret.stringData });
    // As on `npm run hosts` (tools/hosts): shard_0 and shard_1 on one server, shard_2 and shard_3 on the other.
    const servers = loaded.postgres.shardDatabases.map((shard) => loaded.postgres.shardEndpoints[shard].host);
    expect(servers).toEqual(['shard-a', 'shard-a', 'shard-b', 'shard-b']);
    expect(servers).not.toContain(loaded.postgres.primary.host);
    expect(loaded.kafka.brokers.length).toBeGreaterThan(1);
    expect(loaded.services.bindHost).toBe('0.0.0.0');
    // Behind the ingress, loopback is not the proxy: the pod network is, and never everyone.
    expect(loaded.runtime.trustedProxies).not.toContain('loopback');
    expect(loaded.runtime.trustedProxies.length).toBeGreaterThan(0);
    expect(loaded.runtime.trustedProxies.every((range) => !/\/0$/.test(range))).toBe(true);
    // Outside one machine: every client signs in and speaks TLS, the server's certificate checked.
    expect(loaded.postgres.ssl).toEqual({ rejectUnauthorized: true });
    expect(loaded.redis.queue).toMatchObject({ password: secret.stringData?.['TENK_REDIS_PASSWORD'], tls: {} });
    expect(loaded.redis.cache).toMatchObject({ password: secret.stringData?.['TENK_REDIS_PASSWORD'], tls: {} });
    expect(loaded.kafka.tls).toEqual({});
    expect(loaded.kafka.sasl).toEqual({
      mechanism: 'scram-sha-512',
      username: 'tenk',
      password: secret.stringData?.['TENK_KAFKA_SASL_PASSWORD'],
    });
  });

  // The servers those addresses name, in the manifests: what `npm run hosts` runs on one machine.
  const statefulSet = (name: string) =>
    resources.find((resource) => resource.kind === 'StatefulSet' && resource.metadata.name === name) as unknown as {
      spec: {
        replicas: number;
        serviceName: string;
        template: {
          spec: { containers: Array<{ env?: Array<{ name: string; value?: string }> }>; initContainers?: Array<{ command: string[] }> };
        };
      };
    };
  const envOf = (name: string) =>
    Object.fromEntries((statefulSet(name).spec.template.spec.containers[0].env ?? []).map((v) => [v.name, v.value]));

  it('runs each shard server with its shards, the catalog primary and its streaming replica', () => {
    const config = resources.find((resource) => resource.kind === 'ConfigMap' && resource.metadata.name === 'tenk-config')!;
    const loaded = loadConfig({ ...config.data, ...docs('secret.example.yaml')[0].stringData });
    const services = new Set(resources.filter((resource) => resource.kind === 'Service').map((resource) => resource.metadata.name));
    for (const server of ['shard-a', 'shard-b']) {
      expect(services.has(server)).toBe(true);
      const shards = loaded.postgres.shardDatabases.filter((shard) => loaded.postgres.shardEndpoints[shard].host === server);
      expect(envOf(server)['TENK_SERVER_DATABASES']!.split(' ')).toEqual(shards);
    }
    expect([loaded.postgres.primary.host, loaded.postgres.replica.host]).toEqual(['pg-primary', 'pg-replica']);
    expect(envOf('pg-primary')['TENK_SERVER_DATABASES']).toBe(loaded.postgres.catalogDatabase);
    // The replica starts from a base backup of the primary and streams from it (-R writes primary_conninfo).
    const [basebackup] = statefulSet('pg-replica').spec.template.spec.initContainers!;
    expect(basebackup.command.join(' ')).toMatch(/pg_basebackup -h pg-primary .* -R -X stream/s);
  });

  it('runs three KRaft Kafka nodes, the bootstrap list naming each, orders.events with 3 copies and 2 in sync', () => {
    const config = resources.find((resource) => resource.kind === 'ConfigMap' && resource.metadata.name === 'tenk-config')!;
    const loaded = loadConfig({ ...config.data, ...docs('secret.example.yaml')[0].stringData });
    const kafka = statefulSet('kafka');
    expect(kafka.spec.replicas).toBe(3);
    expect(loaded.kafka.brokers).toEqual([0, 1, 2].map((i) => `kafka-${i}.${kafka.spec.serviceName}.tenk.svc:9092`));
    const start = resources.find((resource) => resource.kind === 'ConfigMap' && resource.metadata.name === 'kafka-start')!.data![
      'start.sh'
    ];
    expect(start).toContain('process.roles=broker,controller');
    expect(start).toMatch(/voters="1@kafka-0\.kafka\.[^",]+,2@kafka-1\.kafka\.[^",]+,3@kafka-2\.kafka\.[^",]+"/);
    expect(start).toContain('controller.quorum.voters=${voters}');
    expect(start).toContain('min.insync.replicas=2');
    const topics = resources.find((resource) => resource.kind === 'Job' && resource.metadata.name === 'kafka-topics')!;
    const script = containersOf(topics)[0] as unknown as { command: string[] };
    expect(script.command.join(' ')).toMatch(
      new RegExp(
        `--topic ${loaded.messaging.kafka.ordersTopic.replace('.', '\\.')} --partitions ${loaded.kafka.ordersPartitions} --replication-factor 3 \\\\?\\s*--config min\\.insync\\.replicas=2`,
      ),
    );
  });

  it('keeps every password in the secret, none in the ConfigMap', () => {
    const config = resources.find((resource) => resource.kind === 'ConfigMap' && resource.metadata.name === 'tenk-config')!;
    expect(Object.keys(config.data ?? {}).filter((name) => /PASSWORD/.test(name))).toEqual([]);
    expect(Object.keys(docs('secret.example.yaml')[0].stringData ?? {})).toEqual(
      expect.arrayContaining(['TENK_PG_PASSWORD', 'TENK_REDIS_PASSWORD', 'TENK_KAFKA_SASL_PASSWORD']),
    );
  });

  // tenk's own services (jaeger.yaml runs the upstream image: checked apart below).
  const deployments = resources.filter(
    (resource) => resource.kind === 'Deployment' && containersOf(resource).every((container) => container.image.startsWith('tenk/')),
  );
  const ports: Record<string, number> = {
    api: DEFAULT_PORTS.api,
    'media-worker': DEFAULT_PORTS.mediaWorker,
    mailer: DEFAULT_PORTS.mailer,
    reports: DEFAULT_PORTS.reports,
  };

  it.each(deployments.map((deployment) => [deployment.metadata.name, deployment] as const))(
    '%s: probes, port, configuration and image',
    (name, deployment) => {
      const [container] = containersOf(deployment);
      expect(container.readinessProbe?.httpGet.path).toBe('/health/ready');
      expect(container.livenessProbe?.httpGet.path).toBe('/health/live');
      expect(container.ports?.[0].containerPort).toBe(ports[name]);
      expect(container.envFrom?.map((source) => source.configMapRef?.name ?? source.secretRef?.name)).toEqual([
        'tenk-config',
        'tenk-secrets',
      ]);
      expect(kustomization.images.map((image) => image.name)).toContain(container.image);
      expect(stages).toContain(container.image.replace('tenk/', ''));
    },
  );

  it('runs Jaeger from the upstream image, reached by the pods over OTLP and by nobody else', () => {
    const jaeger = resources.find((resource) => resource.kind === 'Deployment' && resource.metadata.name === 'jaeger')!;
    const [container] = containersOf(jaeger);
    expect(container.image).toMatch(/^jaegertracing\/jaeger:2\.\d+\.\d+$/);
    const jaegerConfig = resources.find((resource) => resource.kind === 'ConfigMap' && resource.metadata.name === 'jaeger-config')!;
    const listeners = [...(jaegerConfig.data?.['config.yaml'] ?? '').matchAll(/endpoint: (\S+)/g)].map((match) => match[1]).sort();
    expect(listeners).toEqual(['0.0.0.0:16686', '0.0.0.0:4318']);
    // The services send to it.
    const config = resources.find((resource) => resource.kind === 'ConfigMap' && resource.metadata.name === 'tenk-config')!;
    const service = resources.find((resource) => resource.kind === 'Service' && resource.metadata.name === 'jaeger')!;
    const servicePorts = (service.spec as { type: string; ports: Array<{ name: string; port: number }> }).ports;
    expect(loadConfig({ ...config.data, ...docs('secret.example.yaml')[0].stringData }).tracing.endpoint).toBe(
      `http://jaeger:${servicePorts.find((port) => port.name === 'otlp-http')!.port}`,
    );
    // Unauthenticated: no Ingress names it, and only tenk's pods may send spans.
    expect((service.spec as { type: string }).type).toBe('ClusterIP');
    const ingresses = resources.filter((resource) => resource.kind === 'Ingress');
    expect(JSON.stringify(ingresses)).not.toContain('jaeger');
    const policy = resources.find((resource) => resource.kind === 'NetworkPolicy' && resource.metadata.name === 'jaeger')!;
    expect(policy.spec).toMatchObject({
      podSelector: { matchLabels: { 'app.kubernetes.io/name': 'jaeger' } },
      ingress: [{ from: [{ podSelector: { matchLabels: { 'app.kubernetes.io/part-of': 'tenk' } } }], ports: [{ port: 4318 }] }],
    });
  });

  it('runs the migrations with the runtime image', () => {
    const job = resources.find((resource) => resource.kind === 'Job' && resource.metadata.name === 'tenk-migrate')!;
    const [container] = containersOf(job);
    expect(container.image).toBe('tenk/runtime');
    expect(stages).toContain('runtime');
  });
});
