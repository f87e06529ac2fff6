/**
 * Validation of deploy/kubernetes against the Kubernetes API of the version it targets, by a
 * real decoder: tools/infra/kube-validate is a small Go program that decodes every document
 * strictly with k8s.io/api + k8s.io/apimachinery (the version in its go.mod), so an unknown or
 * duplicated field, a value of the wrong type, or a kind that version does not serve is refused.
 * Built once with the machine's Go, like Jaeger, into the stack's cache folder.
 */
import { createHash } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { findWorkspaceRoot, type TenkConfig } from '@tenk/config';
import { findGo, goEnv } from './services/jaeger';

const SOURCE_FILES = ['main.go', 'go.mod', 'go.sum'];

export function kubeValidatorSource(): string {
  return path.join(findWorkspaceRoot(), 'tools/infra/kube-validate');
}

/** The Kubernetes release the validator knows: k8s.io/api v0.X.Y is Kubernetes 1.X.Y. */
export function targetKubernetesVersion(): string {
  const goMod = readFileSync(path.join(kubeValidatorSource(), 'go.mod'), 'utf8');
  const version = /^\s*k8s\.io\/api v0\.(\d+)\./m.exec(goMod)?.[1];
  if (!version) throw new Error('tools/infra/kube-validate/go.mod does not require k8s.io/api');
  return `1.${version}`;
}

export type KubeValidator = { binary: string } | { unavailable: string };

/** Builds the validator (once per version of its source) or says why it cannot be built here. */
export function buildKubeValidator(config: TenkConfig): KubeValidator {
  const source = kubeValidatorSource();
  const hash = createHash('sha256');
  for (const file of SOURCE_FILES) hash.update(readFileSync(path.join(source, file)));
  const binary = path.join(config.paths.cache, `kube-validate-${hash.digest('hex').slice(0, 12)}`, 'kube-validate');
  if (existsSync(binary)) return { binary };
  const go = findGo();
  if (!go) return { unavailable: 'no Go on this machine (go on PATH or /usr/local/go/bin/go) to build tools/infra/kube-validate' };
  mkdirSync(path.dirname(binary), { recursive: true });
  const result = spawnSync('nice', [go, 'build', '-o', binary, '.'], {
    cwd: source,
    env: goEnv(path.join(config.paths.cache, 'go')),
    encoding: 'utf8',
    timeout: 15 * 60_000,
  });
  if (result.status !== 0 || !existsSync(binary)) {
    const output = `${result.stderr ?? ''}${result.error?.message ?? ''}`.trim().split('\n').slice(-5).join('\n');
    return { unavailable: `go build of tools/infra/kube-validate failed (modules not reachable?):\n${output}` };
  }
  return { binary };
}

export interface KubeValidation {
  ok: boolean;
  /** One line per document: `ok Kind/name group/version` or `error <source> document N: <why>`. */
  lines: string[];
}

/** Validates manifests given as files, or as YAML text on stdin. */
export function validateManifests(binary: string, input: { files: string[] } | { text: string }): KubeValidation {
  const result = spawnSync(binary, 'files' in input ? input.files : [], {
    input: 'text' in input ? input.text : undefined,
    encoding: 'utf8',
  });
  if (result.status !== 0 && result.status !== 1) {
    throw new Error(`kube-validate exited with ${result.status}: ${result.stderr}${result.error?.message ?? ''}`);
  }
  return { ok: result.status === 0, lines: result.stdout.trim().split('\n').filter(Boolean) };
}
