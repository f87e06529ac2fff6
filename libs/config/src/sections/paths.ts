import path from 'node:path';
import { EnvReader } from '../env-reader';
import { findWorkspaceRoot } from '../workspace-root';

export interface PathsConfig {
  /** The workspace root (holds nx.json). */
  root: string;
  /** Everything the local stack writes: data, logs, pid files, caches. Git ignores it. */
  state: string;
  data: string;
  logs: string;
  run: string;
  cache: string;
  /** Uploaded videos, renditions, report files (the local storage backend). */
  storage: string;
}

export function readPaths(env: EnvReader): PathsConfig {
  const root = findWorkspaceRoot();
  const state = path.resolve(root, env.string('TENK_STATE_DIR', '.tenk'));
  return {
    root,
    state,
    data: path.join(state, 'data'),
    logs: path.join(state, 'logs'),
    run: path.join(state, 'run'),
    cache: path.join(state, 'cache'),
    storage: path.resolve(root, env.string('TENK_STORAGE_DIR', path.join(state, 'storage'))),
  };
}
