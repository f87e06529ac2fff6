/**
 * Passwords, TLS and SASL for PostgreSQL, Redis and Kafka: read from TENK_* variables (or the
 * files their `_FILE` names), the local stack's generated passwords from `.tenk/secrets.env`,
 * and every mistake named in the error.
 */
import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '../tenk-config';
import { formatStackSecrets, parseStackSecrets, stackSecretsPath } from '../stack-secrets';
import { kafkaConnection } from './kafka';
import { redisConnection } from './redis';

const PEM = '-----BEGIN CERTIFICATE-----\nMIIBfake\n-----END CERTIFICATE-----\n';

function tempDir(): string {
  return mkdtempSync(path.join(os.tmpdir(), 'tenk-config-'));
}

function file(dir: string, name: string, contents: string): string {
  const full = path.join(dir, name);
  writeFileSync(full, contents);
  return full;
}

/** A state folder of its own, so the machine's own .tenk/secrets.env never leaks in. */
const load = (env: Record<string, string> = {}, state = tempDir()) => loadConfig({ TENK_STATE_DIR: state, ...env });

describe('connection security settings', () => {
  it('sends no Redis password and no TLS or SASL when nothing is set (a stack from before)', () => {
    const config = load();
    expect(config.redis.queue).toEqual({ host: '127.0.0.1', port: config.redis.queue.port });
    expect('password' in config.redis.cache).toBe(false);
    expect(redisConnection(config.redis.queue)).toEqual({ host: '127.0.0.1', port: config.redis.queue.port });
    expect(config.postgres.password).toBe('tenk');
    expect(config.postgres.ssl).toBe(false);
    expect(kafkaConnection(config.kafka)).toEqual({ brokers: config.kafka.brokers });
  });

  it("reads the stack's generated passwords from TENK_STATE_DIR/secrets.env; the environment wins", () => {
    const state = tempDir();
    writeFileSync(
      stackSecretsPath(state),
      formatStackSecrets({ TENK_PG_PASSWORD: 'pg-from-file', TENK_REDIS_PASSWORD: 'redis-from-file' }),
      { mode: 0o600 },
    );
    const config = load({}, state);
    expect(config.postgres.password).toBe('pg-from-file');
    expect(config.redis.queue.password).toBe('redis-from-file');
    expect(config.redis.cache.password).toBe('redis-from-file');
    expect(redisConnection(config.redis.cache)).toEqual({ host: '127.0.0.1', port: config.redis.cache.port, password: 'redis-from-file' });
    expect(load({ TENK_PG_PASSWORD: 'explicit' }, state).postgres.password).toBe('explicit');
    const secretFile = file(tempDir(), 'redis', 'from-a-mounted-secret\n');
    expect(load({ TENK_REDIS_PASSWORD_FILE: secretFile }, state).redis.queue.password).toBe('from-a-mounted-secret');
  });

  it('parses only the known variables out of secrets.env', () => {
    expect(parseStackSecrets('# comment\nTENK_PG_PASSWORD=a=b\nNODE_OPTIONS=--inspect\nTENK_REDIS_PASSWORD=c\n')).toEqual({
      TENK_PG_PASSWORD: 'a=b',
      TENK_REDIS_PASSWORD: 'c',
    });
  });

  it('reads NAME_FILE (Docker and Kubernetes secrets) and names what is wrong with it', () => {
    const dir = tempDir();
    const pg = file(dir, 'pg', 'pg-secret\n');
    expect(load({ TENK_PG_PASSWORD_FILE: pg }).postgres.password).toBe('pg-secret');
    expect(() => load({ TENK_PG_PASSWORD_FILE: path.join(dir, 'missing') })).toThrow(
      /TENK_PG_PASSWORD_FILE=".*missing": cannot read it \(ENOENT\)/,
    );
    expect(() => load({ TENK_PG_PASSWORD_FILE: file(dir, 'empty', '\n') })).toThrow(/TENK_PG_PASSWORD_FILE=".*empty": the file is empty/);
    expect(() => load({ TENK_REDIS_PASSWORD: 'x', TENK_REDIS_PASSWORD_FILE: pg })).toThrow(
      /TENK_REDIS_PASSWORD_FILE=".*": set TENK_REDIS_PASSWORD or TENK_REDIS_PASSWORD_FILE, not both/,
    );
    if (process.getuid?.() !== 0) {
      chmodSync(pg, 0o000);
      expect(() => load({ TENK_PG_PASSWORD_FILE: pg })).toThrow(/cannot read it \(EACCES\)/);
    }
  });

  it('takes a Redis ACL user only with a password, and TLS with the server checked', () => {
    const ca = file(tempDir(), 'ca.pem', PEM);
    const config = load({
      TENK_REDIS_USERNAME: 'shop',
      TENK_REDIS_PASSWORD: 'p',
      TENK_REDIS_TLS: 'true',
      TENK_REDIS_TLS_CA: ca,
      TENK_REDIS_QUEUE_HOST: 'redis-queue.internal',
    });
    expect(config.redis.queue).toEqual({
      host: 'redis-queue.internal',
      port: config.redis.queue.port,
      username: 'shop',
      password: 'p',
      tls: { ca: PEM },
    });
    expect(redisConnection(config.redis.queue).tls).toEqual({ ca: PEM, servername: 'redis-queue.internal' });
    expect(load({ TENK_REDIS_TLS: 'on' }).redis.cache.tls).toEqual({});
    expect(() => load({ TENK_REDIS_USERNAME: 'shop' })).toThrow(/TENK_REDIS_USERNAME="shop": needs TENK_REDIS_PASSWORD/);
    expect(() => load({ TENK_REDIS_TLS_CA: ca })).toThrow(/TENK_REDIS_TLS_CA="\(set\)": only used with TENK_REDIS_TLS=true/);
    expect(() => load({ TENK_REDIS_TLS: 'true', TENK_REDIS_TLS_CA: file(tempDir(), 'x.pem', 'not a certificate') })).toThrow(
      /TENK_REDIS_TLS_CA=".*x\.pem": expected a PEM file/,
    );
    expect(() => load({ TENK_REDIS_TLS: 'maybe' })).toThrow(/TENK_REDIS_TLS="maybe": expected true or false/);
  });

  it('maps TENK_PG_SSLMODE to node-postgres ssl, checking the server unless told "require"', () => {
    const ca = file(tempDir(), 'ca.pem', PEM);
    expect(load({ TENK_PG_SSLMODE: 'disable' }).postgres.ssl).toBe(false);
    expect(load({ TENK_PG_SSLMODE: 'require' }).postgres.ssl).toEqual({ rejectUnauthorized: false });
    expect(load({ TENK_PG_SSLMODE: 'verify-full' }).postgres.ssl).toEqual({ rejectUnauthorized: true });
    expect(load({ TENK_PG_SSLMODE: 'verify-full', TENK_PG_SSLROOTCERT: ca }).postgres.ssl).toEqual({ rejectUnauthorized: true, ca: PEM });
    expect(() => load({ TENK_PG_SSLMODE: 'prefer' })).toThrow(/TENK_PG_SSLMODE="prefer": expected one of: disable, require, verify-full/);
    expect(() => load({ TENK_PG_SSLMODE: 'require', TENK_PG_SSLROOTCERT: ca })).toThrow(
      /TENK_PG_SSLROOTCERT="\(set\)": only used with TENK_PG_SSLMODE=verify-full/,
    );
  });

  it('takes Kafka TLS and SASL, and refuses half a SASL setting or PLAIN without TLS', () => {
    const secret = file(tempDir(), 'kafka', 'k-secret\n');
    const config = load({
      TENK_KAFKA_TLS: 'true',
      TENK_KAFKA_SASL_MECHANISM: 'scram-sha-512',
      TENK_KAFKA_SASL_USERNAME: 'shop',
      TENK_KAFKA_SASL_PASSWORD_FILE: secret,
    });
    expect(kafkaConnection(config.kafka)).toEqual({
      brokers: config.kafka.brokers,
      ssl: true,
      sasl: { mechanism: 'scram-sha-512', username: 'shop', password: 'k-secret' },
    });
    const ca = file(tempDir(), 'ca.pem', PEM);
    expect(kafkaConnection(load({ TENK_KAFKA_TLS: 'true', TENK_KAFKA_TLS_CA: ca }).kafka).ssl).toEqual({ ca: PEM });
    expect(() => load({ TENK_KAFKA_SASL_MECHANISM: 'scram-sha-256' })).toThrow(
      /TENK_KAFKA_SASL_USERNAME="\(unset\)": needed with TENK_KAFKA_SASL_MECHANISM=scram-sha-256[\s\S]*TENK_KAFKA_SASL_PASSWORD="\(unset\)"/,
    );
    expect(() => load({ TENK_KAFKA_SASL_USERNAME: 'shop', TENK_KAFKA_SASL_PASSWORD: 'p' })).toThrow(
      /TENK_KAFKA_SASL_MECHANISM="\(unset\)": needed with/,
    );
    expect(() => load({ TENK_KAFKA_SASL_MECHANISM: 'plain', TENK_KAFKA_SASL_USERNAME: 'shop', TENK_KAFKA_SASL_PASSWORD: 'p' })).toThrow(
      /plain sends the password in clear: set TENK_KAFKA_TLS=true/,
    );
    expect(() => load({ TENK_KAFKA_SASL_MECHANISM: 'gssapi' })).toThrow(
      /TENK_KAFKA_SASL_MECHANISM="gssapi": expected one of: plain, scram-sha-256, scram-sha-512/,
    );
  });
});
