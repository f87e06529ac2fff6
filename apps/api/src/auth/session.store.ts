import { Injectable } from '@nestjs/common';
import { createHash, randomBytes } from 'node:crypto';
import { InjectConfig, type TenkConfig } from '@tenk/config';
import { AuthRedis } from './auth-redis';
import type { SessionUser } from './session-user';

const TOKEN = /^[A-Za-z0-9_-]{43}$/;

interface StoredSession extends SessionUser {
  createdAt: number;
  touchedAt: number;
}

/**
 * Login sessions in Redis (see AuthRedis), so any api instance serves any user and an api
 * restart logs no one out. The cookie holds a random token; Redis holds only its SHA-256, so
 * a leaked dump does not hand out sessions.
 *
 * A session ends when it was not used for TENK_SESSION_IDLE_TIMEOUT (its Redis TTL, refreshed
 * as it is used), TENK_SESSION_MAX_AGE after sign-in however much it is used, or at once when
 * its user's role changes or the user is deleted: each user's sessions are listed in a sorted
 * set (`user-sessions:<id>`, scored by when each ends at the latest), so they can all be ended.
 */
@Injectable()
export class SessionStore {
  readonly #idleMs: number;
  readonly #maxAgeMs: number;
  /** Refresh the idle TTL at most this often, so reads do not all turn into writes. */
  readonly #touchAfterMs: number;

  constructor(
    private readonly redis: AuthRedis,
    @InjectConfig() config: TenkConfig,
  ) {
    this.#idleMs = config.accounts.sessions.idleTimeoutMs;
    this.#maxAgeMs = config.accounts.sessions.maxAgeMs;
    this.#touchAfterMs = Math.min(60_000, Math.floor(this.#idleMs / 10));
  }

  /** How long the browser keeps the cookie: the session's absolute lifetime. */
  get cookieMaxAgeMs(): number {
    return this.#maxAgeMs;
  }

  async create(user: SessionUser): Promise<string> {
    const token = randomBytes(32).toString('base64url');
    const now = Date.now();
    const session: StoredSession = { id: user.id, email: user.email, name: user.name, role: user.role, createdAt: now, touchedAt: now };
    const id = tokenId(token);
    const index = userIndexKey(user.id);
    const replies = await this.redis.client
      .multi()
      .set(sessionKey(id), JSON.stringify(session), 'PX', this.#idleMs)
      .zadd(index, now + this.#maxAgeMs, id)
      .zremrangebyscore(index, '-inf', now)
      .pexpire(index, this.#maxAgeMs)
      .exec();
    for (const [error] of replies ?? []) if (error) throw error;
    return token;
  }

  /**
   * A token shaped like a real one that opens no session: the cookie a sign-up with an email
   * that has an account gets, so its answer looks like any other sign-up's.
   */
  decoyToken(): string {
    return randomBytes(32).toString('base64url');
  }

  async get(token: string): Promise<SessionUser | undefined> {
    if (!TOKEN.test(token)) return undefined;
    const key = sessionKey(tokenId(token));
    const raw = await this.redis.client.get(key);
    if (!raw) return undefined;
    const session = JSON.parse(raw) as StoredSession;
    const now = Date.now();
    const leftMs = session.createdAt + this.#maxAgeMs - now;
    if (leftMs <= 0) {
      await this.redis.client.del(key);
      return undefined;
    }
    if (now - session.touchedAt > this.#touchAfterMs) {
      session.touchedAt = now;
      // XX: only while it exists, so a sign-out that ran since the read above is not undone.
      // Never past the session's absolute end.
      await this.redis.client.set(key, JSON.stringify(session), 'PX', Math.min(this.#idleMs, leftMs), 'XX');
    }
    return { id: session.id, email: session.email, name: session.name, role: session.role };
  }

  async destroy(token: string): Promise<void> {
    if (TOKEN.test(token)) await this.redis.client.del(sessionKey(tokenId(token)));
  }

  /** Ends every session of a user at once (their role changed, or they were deleted); says how many were alive. */
  async endAllFor(userId: string): Promise<number> {
    const index = userIndexKey(userId);
    const ids = await this.redis.client.zrange(index, 0, -1);
    if (ids.length === 0) return 0;
    const replies = await this.redis.client
      .multi()
      .del(...ids.map(sessionKey))
      .zrem(index, ...ids)
      .exec();
    if (!replies) throw new Error('the end-sessions transaction was aborted');
    const [[error, ended]] = replies;
    if (error) throw error;
    return Number(ended);
  }
}

function tokenId(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

function sessionKey(id: string): string {
  return `session:${id}`;
}

function userIndexKey(userId: string): string {
  return `user-sessions:${userId}`;
}
