import { Injectable } from '@nestjs/common';
import { createHash, randomBytes } from 'node:crypto';
import { AuthRedis } from './auth-redis';
import type { SessionUser } from './session-user';

export const SESSION_TTL_SECONDS = 7 * 24 * 3600;
/** Refresh the TTL at most this often, so reads do not all turn into writes. */
const TOUCH_AFTER_MS = 60_000;
const TOKEN = /^[A-Za-z0-9_-]{43}$/;

interface StoredSession extends SessionUser {
  createdAt: number;
  touchedAt: number;
}

/**
 * Login sessions in Redis (see AuthRedis), so any api instance serves any user and an api
 * restart logs no one out. The cookie holds a random token; Redis holds only its SHA-256, so
 * a leaked dump does not hand out sessions.
 */
@Injectable()
export class SessionStore {
  constructor(private readonly redis: AuthRedis) {}

  async create(user: SessionUser): Promise<string> {
    const token = randomBytes(32).toString('base64url');
    const now = Date.now();
    const session: StoredSession = { ...user, createdAt: now, touchedAt: now };
    await this.redis.client.set(key(token), JSON.stringify(session), 'EX', SESSION_TTL_SECONDS);
    return token;
  }

  async get(token: string): Promise<SessionUser | undefined> {
    if (!TOKEN.test(token)) return undefined;
    const raw = await this.redis.client.get(key(token));
    if (!raw) return undefined;
    const session = JSON.parse(raw) as StoredSession;
    if (Date.now() - session.touchedAt > TOUCH_AFTER_MS) {
      session.touchedAt = Date.now();
      // XX: only while it exists, so a sign-out that ran since the read above is not undone.
      await this.redis.client.set(key(token), JSON.stringify(session), 'EX', SESSION_TTL_SECONDS, 'XX');
    }
    return { id: session.id, email: session.email, name: session.name, role: session.role };
  }

  async destroy(token: string): Promise<void> {
    if (TOKEN.test(token)) await this.redis.client.del(key(token));
  }
}

function key(token: string): string {
  return `session:${createHash('sha256').update(token).digest('hex')}`;
}
