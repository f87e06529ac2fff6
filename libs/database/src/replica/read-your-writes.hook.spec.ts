import type { HttpAdapterHost } from '@nestjs/core';
import Fastify, { type FastifyInstance } from 'fastify';
import type { TenkConfig } from '@tenk/config';
import { ReadYourWrites } from './read-your-writes';
import { ReadYourWritesHook } from './read-your-writes.hook';
import { ReadYourWritesMiddleware } from './read-your-writes.middleware';
import { parseLsn } from './wal-lsn';

const config = {
  dataRouting: { replica: { writeTokenTtlMs: 60_000 } },
  services: { publicUrl: 'http://127.0.0.1:8080' },
} as unknown as TenkConfig;

function hookOn(httpAdapter: unknown): ReadYourWritesHook {
  return new ReadYourWritesHook({ httpAdapter } as HttpAdapterHost, new ReadYourWritesMiddleware(config));
}

describe('ReadYourWritesHook', () => {
  let fastify: FastifyInstance;

  beforeEach(() => {
    fastify = Fastify();
    hookOn({ getType: () => 'fastify', getInstance: () => fastify }).onModuleInit();
    // What the handler sees (its scope's position), and a write at the position in ?wrote=.
    fastify.all('/seen', async (request) => {
      const wrote = (request.query as { wrote?: string }).wrote;
      if (wrote) ReadYourWrites.current()?.recordWrite(parseLsn(wrote) ?? 0n);
      const scope = ReadYourWrites.current();
      return { scope: scope !== undefined, minLsn: scope?.minLsn?.toString() ?? null };
    });
  });

  afterEach(() => fastify.close());

  it("opens a scope for every request, at the client's position from the cookie or the header (the later wins)", async () => {
    const none = await fastify.inject({ url: '/seen' });
    expect(none.json()).toEqual({ scope: true, minLsn: null });
    const both = await fastify.inject({ url: '/seen', headers: { cookie: 'tenk_lsn=0%2F10', 'x-tenk-lsn': '0/20' } });
    expect(both.json()).toEqual({ scope: true, minLsn: String(parseLsn('0/20')) });
  });

  it('hands a write made in the request back in the header and the cookie', async () => {
    const response = await fastify.inject({ method: 'POST', url: '/seen?wrote=0/30', payload: { a: 1 } });
    expect(response.json()).toEqual({ scope: true, minLsn: String(parseLsn('0/30')) });
    expect(response.headers['x-tenk-lsn']).toBe('0/30');
    expect(String(response.headers['set-cookie'])).toMatch(/^tenk_lsn=0%2F30;.*HttpOnly/);
  });

  it('adds nothing to an app without HTTP, or with another adapter', () => {
    expect(() => hookOn(undefined).onModuleInit()).not.toThrow();
    const express = { getType: () => 'express', getInstance: jest.fn() };
    hookOn(express).onModuleInit();
    expect(express.getInstance).not.toHaveBeenCalled();
  });
});
