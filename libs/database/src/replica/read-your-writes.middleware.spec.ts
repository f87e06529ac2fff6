import type { IncomingMessage, ServerResponse } from 'node:http';
import type { TenkConfig } from '@tenk/config';
import { ReadYourWrites } from './read-your-writes';
import { ReadYourWritesMiddleware } from './read-your-writes.middleware';
import { parseLsn } from './wal-lsn';

const config = {
  dataRouting: { replica: { writeTokenTtlMs: 60_000 } },
  services: { publicUrl: 'http://127.0.0.1:8080' },
} as unknown as TenkConfig;

/** The scope's position the middleware opened for a request with these cookies. */
function scopeFor(cookie: string): bigint | undefined | 'no scope' {
  const middleware = new ReadYourWritesMiddleware(config);
  let seen: bigint | undefined | 'no scope' = 'no scope';
  const next = () => {
    seen = ReadYourWrites.current()?.minLsn;
  };
  middleware.use({ headers: { cookie } } as IncomingMessage, {} as ServerResponse, next);
  return seen;
}

describe('ReadYourWritesMiddleware reading the tenk_lsn cookie', () => {
  it('takes the position from the cookie among others', () => {
    expect(scopeFor('tenk_session=abc; tenk_lsn=0%2F16B3748; theme=dark')).toBe(parseLsn('0/16B3748'));
  });

  it('treats a cookie that is not valid percent-encoding as no position, not as a 500', () => {
    expect(scopeFor('tenk_lsn=%E0%A4%A')).toBeUndefined();
    expect(scopeFor('tenk_lsn=%')).toBeUndefined();
  });

  it('ignores a cookie without the name or without a value', () => {
    expect(scopeFor('tenk_lsnx=0/1; =0/2; tenk_lsn')).toBeUndefined();
  });
});
