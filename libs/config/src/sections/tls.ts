import { EnvReader } from '../env-reader';

/**
 * TLS to a server: on, with the server's certificate checked against `ca` (a PEM bundle from
 * a file) or, without one, against the system's trusted CAs. Never "on but unchecked".
 */
export interface TlsSettings {
  /** PEM contents of the CA bundle; undefined: the system's CAs. */
  ca?: string;
}

/** `<flag>` (true/false) and `<flag>_CA` (a PEM file); a CA without TLS on is a mistake. */
export function readTls(env: EnvReader, flag: string): TlsSettings | undefined {
  const on = env.bool(flag, false);
  const ca = env.pemFile(`${flag}_CA`);
  if (!on) {
    if (env.has(`${flag}_CA`)) env.problem(`${flag}_CA`, '(set)', `only used with ${flag}=true`);
    return undefined;
  }
  return ca === undefined ? {} : { ca };
}
