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

  it('gives the pods a configuration libs/config accepts, with each shard on its own server', () => {
    const config = resources.find((resource) => resource.kind === 'ConfigMap' && resource.metadata.name === 'tenk-config')!;
    const secret = docs('secret.example.yaml')[0];
    const loaded = loadConfig({ ...config.data, ...secret.stringData });
    const hosts = new Set(loaded.postgres.shardDatabases.map((shard) => loaded.postgres.shardEndpoints[shard].host));
    expect(hosts.size).toBe(loaded.postgres.shardDatabases.length);
    expect(hosts.has(loaded.postgres.primary.host)).toBe(false);
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
    const job = resources.find((resource) => resource.kind === 'Job')!;
    const [container] = containersOf(job);
    expect(container.image).toBe('tenk/runtime');
    expect(stages).toContain('runtime');
  });
});
