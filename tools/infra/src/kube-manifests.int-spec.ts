/**
 * deploy/kubernetes, validated by a real decoder against the Kubernetes API of the version
 * it targets (tools/infra/kube-validate: k8s.io/api's types, strict), and rendered by
 * `kubectl kustomize` where kubectl is installed. deploy-manifests.spec.ts checks what the
 * manifests mean for tenk (configuration, probes, images); this checks that a cluster of that
 * version would accept their shape.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parseAllDocuments, stringify } from 'yaml';
import { findWorkspaceRoot, loadConfig } from '@tenk/config';
import { buildKubeValidator, targetKubernetesVersion, validateManifests } from './kube-validate';

const DIR = path.join(findWorkspaceRoot(), 'deploy/kubernetes');
const kustomization = parseAllDocuments(readFileSync(path.join(DIR, 'kustomization.yaml'), 'utf8'))[0].toJS() as {
  resources: string[];
};
const files = [...kustomization.resources, 'secret.example.yaml'].map((file) => path.join(DIR, file));

const validator = buildKubeValidator(loadConfig(process.env));
const binary = 'binary' in validator ? validator.binary : '';
const withValidator = binary ? describe : describe.skip;
if (!binary) console.warn(`deploy/kubernetes is NOT validated: ${(validator as { unavailable: string }).unavailable}`);

const hasKubectl = spawnSync('kubectl', ['version', '--client'], { stdio: 'ignore' }).status === 0;
const withKubectl = binary && hasKubectl ? describe : describe.skip;
if (!hasKubectl) console.warn('kubectl is not installed: `kubectl kustomize deploy/kubernetes` is not rendered');

withValidator(`deploy/kubernetes against the Kubernetes ${targetKubernetesVersion()} API`, () => {
  it('accepts every manifest, each document a resource that version serves', () => {
    const result = validateManifests(binary, { files });
    expect(result.lines.filter((line) => !line.startsWith('ok '))).toEqual([]);
    expect(result.ok).toBe(true);
    expect(result.lines.length).toBeGreaterThanOrEqual(files.length);
  });

  interface Deployment {
    kind: string;
    spec: {
      replicas: unknown;
      template: {
        metadata: { labels: Record<string, string> };
        spec: { containers: Array<Record<string, unknown>>; [field: string]: unknown };
      };
    };
  }

  // The validator can fail: the same api.yaml with one mistake of each kind is refused, naming it.
  const api = readFileSync(path.join(DIR, 'api.yaml'), 'utf8');
  const broken = (change: (resource: Deployment) => void): string =>
    parseAllDocuments(api)
      .map((doc) => {
        const resource = doc.toJS() as Deployment;
        if (resource.kind === 'Deployment') change(resource);
        return stringify(resource);
      })
      .join('---\n');

  it.each([
    [
      'an unknown field',
      (d: Deployment) => (d.spec.template.spec.containers[0].readinesProbe = {}),
      /unknown field "spec.template.spec.containers\[0\].readinesProbe"/,
    ],
    ['a value of the wrong type', (d: Deployment) => (d.spec.replicas = 'two'), /replicas.*type int32|cannot unmarshal string/],
    [
      'a kind the API does not serve',
      (d: Deployment) => (d.kind = 'Deploymnt'),
      /no kind "Deploymnt" is registered for version "apps\/v1"/,
    ],
    [
      'a field in the wrong place',
      (d: Deployment) => (d.spec.template.spec.containerPort = 3000),
      /unknown field "spec.template.spec.containerPort"/,
    ],
    // The API server's own rules, beyond the types.
    [
      'a selector that does not match the pod labels',
      (d: Deployment) => (d.spec.template.metadata.labels = { 'app.kubernetes.io/name': 'apy' }),
      /Deployment\/api: spec.template.metadata.labels: `selector` does not match template `labels`/,
    ],
    [
      'a port name longer than 15 characters',
      (d: Deployment) => (d.spec.template.spec.containers[0].ports = [{ name: 'http-for-the-api', containerPort: 3001 }]),
      /containers\[0\].ports\[0\].name: must be no more than 15 characters/,
    ],
    [
      'a container name that is not a DNS label',
      (d: Deployment) => (d.spec.template.spec.containers[0].name = 'API'),
      /containers\[0\].name: a lowercase RFC 1123 label/,
    ],
  ])('refuses %s', (_what, change, message) => {
    const result = validateManifests(binary, { text: broken(change) });
    expect(result.ok).toBe(false);
    expect(result.lines.join('\n')).toMatch(message);
  });
});

withKubectl('kubectl kustomize deploy/kubernetes', () => {
  it('renders the kustomization, and what it renders is valid too', () => {
    const rendered = spawnSync('kubectl', ['kustomize', DIR], { encoding: 'utf8' });
    expect(rendered.stderr).toBe('');
    expect(rendered.status).toBe(0);
    const result = validateManifests(binary, { text: rendered.stdout });
    expect(result.lines.filter((line) => !line.startsWith('ok '))).toEqual([]);
    expect(result.ok).toBe(true);
    // Every resource of every listed file, in the namespace, with the images kustomize set.
    const listed = kustomization.resources.flatMap((file) =>
      parseAllDocuments(readFileSync(path.join(DIR, file), 'utf8')).filter((doc) => doc.contents !== null),
    );
    expect(result.lines.length).toBe(listed.length);
    const resources = parseAllDocuments(rendered.stdout).map((doc) => doc.toJS() as { kind: string; metadata: { namespace?: string } });
    expect(resources.filter((resource) => resource.kind !== 'Namespace').every((resource) => resource.metadata.namespace === 'tenk')).toBe(
      true,
    );
    expect(rendered.stdout).not.toMatch(/image: tenk\//);
  });
});
