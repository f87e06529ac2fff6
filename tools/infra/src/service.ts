import type { TenkConfig } from '@tenk/config';

export interface ServiceStatus {
  running: boolean;
  healthy: boolean;
  pid?: number;
  /** Extra facts for the status table: replica lag, topics, message count. */
  detail?: string;
}

/** One piece of the local stack that tools/infra installs, starts, checks and stops. */
export interface InfraService {
  /** `postgres-primary`, `redis-cache`, ...: what `npm run infra -- up NAME` accepts. */
  readonly name: string;
  /** Its main port; other ports it holds are listed in `extraPorts`. */
  port(config: TenkConfig): number;
  extraPorts?(config: TenkConfig): number[];
  /** Debian packages it needs, with a command that proves each is there. */
  packages(): PackageNeed[];
  /**
   * The shop runs without it (Jaeger): when it cannot start, `up` says why and goes on, and
   * `status` does not fail for it.
   */
  readonly optional?: boolean;
  /** Services that must run first. */
  readonly after: readonly string[];
  status(config: TenkConfig): Promise<ServiceStatus>;
  /** Starts it (installing data on first run); returns once it is healthy. Idempotent. */
  start(config: TenkConfig, log: (line: string) => void): Promise<void>;
  stop(config: TenkConfig, log: (line: string) => void): Promise<void>;
  /**
   * Makes a running service ask for the machine's password (.tenk/secrets.env) in place,
   * keeping its data: how a stack from before passwords is upgraded by the next `up`. Runs on
   * every `up` (before the health check for a running service, after start for a stopped
   * one); does nothing when it already asks for it.
   */
  secure?(config: TenkConfig, log: (line: string) => void): Promise<void>;
  /** Its data, removed by `reset`. */
  dataDirs(config: TenkConfig): string[];
}

export interface PackageNeed {
  /** The Debian package that provides it. */
  debian: string;
  /** True when it is already installed. */
  present(): boolean;
}
