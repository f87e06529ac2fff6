import { readFileSync } from 'node:fs';
import { ConfigError, ConfigProblem } from './config-error';
import { DEFAULT_PORTS, PORT_VARIABLES, type ServiceName } from './defaults';

type Env = Record<string, string | undefined>;

/**
 * Reads typed values from environment variables, collecting every problem instead of
 * stopping at the first, so one failed start tells the user everything that is wrong.
 */
export class EnvReader {
  readonly #env: Env;
  readonly #problems: ConfigProblem[] = [];

  constructor(env: Env = process.env) {
    this.#env = env;
  }

  string(name: string, fallback: string): string {
    const raw = this.#raw(name);
    if (raw === undefined) return fallback;
    if (raw.trim() === '') return this.#fail(name, raw, 'must not be empty', fallback);
    return raw;
  }

  int(name: string, fallback: number, range: { min?: number; max?: number } = {}): number {
    const raw = this.#raw(name);
    if (raw === undefined) return fallback;
    const min = range.min ?? Number.MIN_SAFE_INTEGER;
    const max = range.max ?? Number.MAX_SAFE_INTEGER;
    if (!/^-?\d+$/.test(raw.trim())) return this.#fail(name, raw, `expected a whole number${describeRange(range)}`, fallback);
    const value = Number(raw);
    if (value < min || value > max) return this.#fail(name, raw, `expected a whole number${describeRange(range)}`, fallback);
    return value;
  }

  port(name: string, fallback: number): number {
    const raw = this.#raw(name);
    if (raw === undefined) return fallback;
    const value = Number(raw);
    if (!/^\d+$/.test(raw.trim()) || value < 1 || value > 65535) {
      return this.#fail(name, raw, 'expected a TCP port number (1-65535)', fallback);
    }
    return value;
  }

  /** A port of the local stack or the shop: its variable and default from defaults.ts. */
  servicePort(service: ServiceName): number {
    return this.port(PORT_VARIABLES[service], DEFAULT_PORTS[service]);
  }

  /** A duration such as `250ms`, `5s`, `2m`; a bare number means milliseconds. */
  durationMs(name: string, fallbackMs: number): number {
    const raw = this.#raw(name);
    if (raw === undefined) return fallbackMs;
    const parsed = parseDurationMs(raw);
    if (parsed === undefined) return this.#fail(name, raw, 'expected a duration such as 500ms, 5s or 2m', fallbackMs);
    return parsed;
  }

  /** A fraction from 0 to 1 (`0.05`, `1`, `5%`). */
  ratio(name: string, fallback: number): number {
    const raw = this.#raw(name);
    if (raw === undefined) return fallback;
    const match = /^\s*(\d+(?:\.\d+)?)\s*(%?)\s*$/.exec(raw);
    const value = match ? Number(match[1]) / (match[2] ? 100 : 1) : NaN;
    if (!(value >= 0 && value <= 1)) return this.#fail(name, raw, 'expected a fraction from 0 to 1 (0.05) or a percentage (5%)', fallback);
    return value;
  }

  bool(name: string, fallback: boolean): boolean {
    const raw = this.#raw(name);
    if (raw === undefined) return fallback;
    const normalized = raw.trim().toLowerCase();
    if (['1', 'true', 'yes', 'on'].includes(normalized)) return true;
    if (['0', 'false', 'no', 'off'].includes(normalized)) return false;
    return this.#fail(name, raw, 'expected true or false', fallback);
  }

  oneOf<T extends string>(name: string, allowed: readonly T[], fallback: T): T {
    const raw = this.#raw(name);
    if (raw === undefined) return fallback;
    if ((allowed as readonly string[]).includes(raw)) return raw as T;
    return this.#fail(name, raw, `expected one of: ${allowed.join(', ')}`, fallback);
  }

  url(name: string, fallback: string, protocols: readonly string[] = ['http:', 'https:']): string {
    const raw = this.#raw(name);
    if (raw === undefined) return fallback;
    try {
      const url = new URL(raw);
      if (!protocols.includes(url.protocol)) {
        return this.#fail(name, raw, `expected a URL starting with ${protocols.map((p) => `${p}//`).join(' or ')}`, fallback);
      }
      return raw.replace(/\/+$/, '');
    } catch {
      return this.#fail(name, raw, 'expected a URL such as http://127.0.0.1:3200', fallback);
    }
  }

  /** `host:port[,host:port...]`, as Kafka brokers are written. */
  hostPorts(name: string, fallback: string[]): string[] {
    const raw = this.#raw(name);
    if (raw === undefined) return fallback;
    const items = raw
      .split(',')
      .map((item) => item.trim())
      .filter(Boolean);
    const valid = items.length > 0 && items.every((item) => /^[A-Za-z0-9._-]+:\d{1,5}$/.test(item) && Number(item.split(':')[1]) <= 65535);
    if (!valid) return this.#fail(name, raw, 'expected host:port[,host:port...]', fallback);
    return items;
  }

  list(name: string, fallback: string[], pattern = /^[A-Za-z0-9._-]+$/): string[] {
    const raw = this.#raw(name);
    if (raw === undefined) return fallback;
    const items = raw
      .split(',')
      .map((item) => item.trim())
      .filter(Boolean);
    if (items.length === 0 || !items.every((item) => pattern.test(item))) {
      return this.#fail(name, raw, `expected a comma-separated list of names matching ${pattern}`, fallback);
    }
    return items;
  }

  /**
   * A secret: `NAME`, or the contents of the file `NAME_FILE` names (Docker and Kubernetes
   * mount secrets as files), without a trailing newline. Both set is a mistake. Undefined when
   * neither is set.
   */
  secret(name: string): string | undefined {
    const raw = this.#raw(name);
    const file = this.#raw(`${name}_FILE`);
    if (raw !== undefined && file !== undefined) return this.#fail(`${name}_FILE`, file, `set ${name} or ${name}_FILE, not both`, raw);
    if (file === undefined) return raw;
    const contents = this.#readFile(`${name}_FILE`, file);
    if (contents === undefined) return undefined;
    const value = contents.replace(/\r?\n$/, '');
    if (value === '') return this.#fail(`${name}_FILE`, file, 'the file is empty', undefined);
    return value;
  }

  /** A PEM file (a CA bundle): its contents, or a problem when it is unreadable or not PEM. */
  pemFile(name: string): string | undefined {
    const file = this.#raw(name);
    if (file === undefined) return undefined;
    const contents = this.#readFile(name, file);
    if (contents === undefined) return undefined;
    if (!contents.includes('-----BEGIN CERTIFICATE-----'))
      return this.#fail(name, file, 'expected a PEM file with at least one "-----BEGIN CERTIFICATE-----"', undefined);
    return contents;
  }

  /** True when the variable is set (and not empty): for checks between variables. */
  has(name: string): boolean {
    return this.#raw(name) !== undefined;
  }

  #readFile(name: string, file: string): string | undefined {
    try {
      return readFileSync(file, 'utf8');
    } catch (error) {
      return this.#fail(name, file, `cannot read it (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`, undefined);
    }
  }

  /** Records a problem found by a cross-field check (e.g. two services on one port). */
  problem(name: string, value: string, problem: string): void {
    this.#problems.push({ name, value, problem });
  }

  /** Throws one ConfigError naming every bad variable, if any were found. */
  throwIfInvalid(): void {
    if (this.#problems.length > 0) throw new ConfigError(this.#problems);
  }

  #raw(name: string): string | undefined {
    const value = this.#env[name];
    return value === undefined || value === '' ? undefined : value;
  }

  #fail<T>(name: string, value: string, problem: string, fallback: T): T {
    this.#problems.push({ name, value, problem });
    return fallback;
  }
}

export function parseDurationMs(raw: string): number | undefined {
  const match = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h)?\s*$/.exec(raw);
  if (!match) return undefined;
  const factor = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[(match[2] ?? 'ms') as 'ms' | 's' | 'm' | 'h'];
  return Math.round(Number(match[1]) * factor);
}

function describeRange(range: { min?: number; max?: number }): string {
  if (range.min !== undefined && range.max !== undefined) return ` from ${range.min} to ${range.max}`;
  if (range.min !== undefined) return ` >= ${range.min}`;
  if (range.max !== undefined) return ` <= ${range.max}`;
  return '';
}
