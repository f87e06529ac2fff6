/**
 * @HttpCache on real Nest HTTP apps, real Redis and PostgreSQL: what a client sees (status,
 * headers, 304s), what it must never see (another user's response), and how often PostgreSQL
 * really ran the query (pg_stat_statements).
 */
import {
  CanActivate,
  Controller,
  ExecutionContext,
  Get,
  Header,
  HttpCode,
  Injectable,
  NotFoundException,
  Param,
  Patch,
  Query,
  Res,
  UnauthorizedException,
  UseGuards,
} from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Pool } from 'pg';
import { PublicRoute, setCookie } from '@tenk/observability';
import { uniqueName } from '@tenk/testing';
import { CacheService } from '../cache.service';
import { adminPool, ProbeDatabase, ProbeTable, startCacheApp, type CacheTestApp } from '../testing/cache-test-app';
import { HttpCache } from './http-cache.decorator';

let table: ProbeTable;
let admin: Pool;

/** Stands in for the api's session guard: the user is whoever the x-user header names. */
@Injectable()
class HeaderUserGuard implements CanActivate {
  canActivate(context: ExecutionContext): boolean {
    const req = context.switchToHttp().getRequest<FastifyRequest & { user?: { id: string } }>();
    const user = req.headers['x-user'];
    if (typeof user === 'string') req.user = { id: user };
    return true;
  }
}

@Controller()
@UseGuards(HeaderUserGuard)
class ItemsController {
  constructor(
    private readonly db: ProbeDatabase,
    private readonly cache: CacheService,
  ) {}

  @PublicRoute()
  @HttpCache({ tags: ['item:{id}'] })
  @Get('items/:id')
  async get(@Param('id') id: string): Promise<{ id: number; name: string }> {
    const { rows } = await this.db.pool.query<{ id: number; name: string }>(`SELECT id, name FROM ${table.name} WHERE id = $1`, [
      Number(id) || 0,
    ]);
    if (!rows[0]) throw new NotFoundException(`item ${id} does not exist`);
    return rows[0];
  }

  @PublicRoute()
  @HttpCache({ tags: ['items'], maxAge: 30 })
  @Get('items')
  async list(@Query('limit') limit = '10', @Query('sort') sort = 'id'): Promise<{ items: unknown[] }> {
    const column = sort === 'name' ? 'name' : 'id';
    const { rows } = await this.db.pool.query(`SELECT id, name FROM ${table.name} ORDER BY ${column} LIMIT $1`, [Number(limit)]);
    return { items: rows };
  }

  @PublicRoute()
  @HttpCache({ tags: ['item:{id}'], headers: ['x-item-version'] })
  @HttpCode(203)
  @Get('versioned/:id')
  async versioned(@Param('id') id: string, @Res({ passthrough: true }) res: FastifyReply): Promise<{ id: string }> {
    await this.db.pool.query(`SELECT id FROM ${table.name} WHERE id = $1`, [Number(id) || 0]);
    res.header('X-Item-Version', `v-${id}`);
    return { id };
  }

  /** Not @PublicRoute: per user by default. */
  @HttpCache()
  @Get('me/items')
  async mine(@Res({ passthrough: true }) res: FastifyReply): Promise<{ owner: string; items: unknown[] }> {
    const owner = (res.request as FastifyRequest & { user?: { id: string } }).user?.id;
    if (!owner) throw new UnauthorizedException('sign in first');
    const { rows } = await this.db.pool.query(`SELECT id, $1::text AS owner FROM ${table.name} ORDER BY id LIMIT 2`, [owner]);
    return { owner, items: rows };
  }

  @PublicRoute()
  @HttpCache()
  @Header('Content-Type', 'application/json')
  @Get('cookie')
  cookie(@Res({ passthrough: true }) res: FastifyReply): { ok: boolean } {
    setCookie(res, 'tracking', 'x');
    return { ok: true };
  }

  @PublicRoute()
  @Patch('items/:id')
  async rename(@Param('id') id: string, @Query('name') name: string): Promise<void> {
    await this.db.pool.query(`UPDATE ${table.name} SET name = $2 WHERE id = $1`, [Number(id), name]);
    await this.cache.invalidate(['items', `item:${id}`]);
  }
}

const apps: CacheTestApp[] = [];

async function start(namespace: string): Promise<CacheTestApp> {
  const app = await startCacheApp({ namespace, controllers: [ItemsController] });
  apps.push(app);
  return app;
}

beforeAll(async () => {
  admin = adminPool();
  table = new ProbeTable(admin);
  await table.create([
    { id: 1, name: 'kettle' },
    { id: 2, name: 'anvil' },
    { id: 3, name: 'teapot' },
  ]);
});

afterEach(async () => {
  await Promise.all(apps.splice(0).map((app) => app.close()));
});

afterAll(async () => {
  await table.drop();
  await admin.end();
});

describe('@HttpCache', () => {
  it('answers a repeat from the cache with the same body, ETag and cache headers', async () => {
    const { url } = await start(uniqueName('http'));
    const before = await table.selects();
    const first = await fetch(`${url}/items/1`);
    const second = await fetch(`${url}/items/1`);
    expect(first.status).toBe(200);
    expect(second.status).toBe(200);
    expect(await second.json()).toEqual(await first.json());
    expect(first.headers.get('x-cache')).toBe('MISS');
    expect(second.headers.get('x-cache')).toBe('HIT');
    expect(second.headers.get('etag')).toBe(first.headers.get('etag'));
    expect(first.headers.get('etag')).toMatch(/^W\/"[A-Za-z0-9_-]+"$/);
    expect(second.headers.get('cache-control')).toBe('public, no-cache');
    expect(second.headers.get('content-type')).toMatch(/^application\/json/);
    expect(Number(second.headers.get('age'))).toBeGreaterThanOrEqual(0);
    expect(await table.selects()).toBe(before + 1);
  });

  it('answers If-None-Match with 304 and no body, from the cache', async () => {
    const { url } = await start(uniqueName('http'));
    const first = await fetch(`${url}/items/2`);
    const etag = first.headers.get('etag')!;
    const before = await table.selects();
    const revalidated = await fetch(`${url}/items/2`, { headers: { 'If-None-Match': etag } });
    expect(revalidated.status).toBe(304);
    expect(await revalidated.text()).toBe('');
    expect(revalidated.headers.get('etag')).toBe(etag);
    expect((await fetch(`${url}/items/2`, { headers: { 'If-None-Match': 'W/"something-else"' } })).status).toBe(200);
    expect(await table.selects()).toBe(before);
  });

  it('keys by route, params and query: the order of query parameters does not matter, their values do', async () => {
    const { url } = await start(uniqueName('http'));
    expect((await fetch(`${url}/items?limit=2&sort=name`)).headers.get('x-cache')).toBe('MISS');
    expect((await fetch(`${url}/items?sort=name&limit=2`)).headers.get('x-cache')).toBe('HIT');
    const other = await fetch(`${url}/items?sort=name&limit=3`);
    expect(other.headers.get('x-cache')).toBe('MISS');
    expect(((await other.json()) as { items: unknown[] }).items).toHaveLength(3);
    expect(other.headers.get('cache-control')).toBe('public, max-age=30');
  });

  it('stores the status and the chosen headers, and sends them again on a hit', async () => {
    const { url } = await start(uniqueName('http'));
    await fetch(`${url}/versioned/3`);
    const hit = await fetch(`${url}/versioned/3`);
    expect(hit.headers.get('x-cache')).toBe('HIT');
    expect(hit.status).toBe(203);
    expect(hit.headers.get('x-item-version')).toBe('v-3');
  });

  it('caches a 404 briefly: the repeat is a 404 from the cache', async () => {
    const { url } = await start(uniqueName('http'));
    const before = await table.selects();
    const first = await fetch(`${url}/items/999`);
    const second = await fetch(`${url}/items/999`);
    expect([first.status, second.status]).toEqual([404, 404]);
    expect(second.headers.get('x-cache')).toBe('HIT');
    expect(((await second.json()) as { message: string }).message).toBe('item 999 does not exist');
    expect(await table.selects()).toBe(before + 1);
  });

  it("never answers one user with another user's response: per-user routes are keyed by user and sent as private", async () => {
    const { url } = await start(uniqueName('http'));
    const as = (user: string) => fetch(`${url}/me/items`, { headers: { 'x-user': user } });
    const alice = await as('alice');
    const bob = await as('bob');
    const aliceAgain = await as('alice');
    const bobAgain = await as('bob');
    expect(((await alice.json()) as { owner: string }).owner).toBe('alice');
    expect(((await bob.json()) as { owner: string }).owner).toBe('bob');
    expect(bob.headers.get('x-cache')).toBe('MISS');
    expect(aliceAgain.headers.get('x-cache')).toBe('HIT');
    expect(((await aliceAgain.json()) as { owner: string }).owner).toBe('alice');
    expect(((await bobAgain.json()) as { owner: string }).owner).toBe('bob');
    expect(aliceAgain.headers.get('cache-control')).toBe('private, no-cache');
    expect(aliceAgain.headers.get('vary')).toMatch(/cookie/i);
    // Nobody signed in: not cached at all, and the route answers as it always does.
    const anonymous = await fetch(`${url}/me/items`);
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get('x-cache')).toBeNull();
  });

  it('refuses to store a response that sets a cookie under a shared key', async () => {
    const { url } = await start(uniqueName('http'));
    const response = await fetch(`${url}/cookie`);
    expect(response.status).toBe(500);
    expect((await fetch(`${url}/cookie`)).status).toBe(500);
  });

  it('a write through one instance is visible on the next read from another', async () => {
    const namespace = uniqueName('http');
    const a = await start(namespace);
    const b = await start(namespace);
    expect(((await (await fetch(`${b.url}/items/3`)).json()) as { name: string }).name).toBe('teapot');
    expect((await fetch(`${b.url}/items/3`)).headers.get('x-cache')).toBe('HIT');
    try {
      expect((await fetch(`${a.url}/items/3?name=kettle%20no.%202`, { method: 'PATCH' })).status).toBe(200);
      const next = await fetch(`${b.url}/items/3`);
      expect(((await next.json()) as { name: string }).name).toBe('kettle no. 2');
      // Just invalidated: each request reads for itself until the replica has surely caught up.
      expect(next.headers.get('x-cache')).toBe('BYPASS');
    } finally {
      await admin.query(`UPDATE ${table.name} SET name = 'teapot' WHERE id = 3`);
    }
  });

  it('200 concurrent requests for one uncached route across two instances run the query once', async () => {
    const namespace = uniqueName('http');
    const instances = [await start(namespace), await start(namespace)];
    const before = await table.selects();
    const responses = await Promise.all(Array.from({ length: 200 }, (_, i) => fetch(`${instances[i % 2].url}/items/2`)));
    const bodies = await Promise.all(responses.map((response) => response.json() as Promise<{ name: string }>));
    expect(new Set(bodies.map((body) => body.name))).toEqual(new Set(['anvil']));
    expect(await table.selects()).toBe(before + 1);
    const outcomes = new Set(responses.map((response) => response.headers.get('x-cache')));
    expect(outcomes.has('MISS')).toBe(true);
  });
});
