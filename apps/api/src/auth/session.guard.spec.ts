import { ForbiddenException, ServiceUnavailableException, UnauthorizedException } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { ExecutionContextHost } from '@nestjs/core/helpers/execution-context-host';
import { Public, Roles } from './auth.decorators';
import { SessionGuard } from './session.guard';
import type { SessionStore } from './session.store';
import type { SessionUser } from './session-user';

class ShopController {
  @Public()
  list(): string {
    return 'products';
  }

  mine(): string {
    return 'orders';
  }

  @Roles('admin')
  manage(): string {
    return 'switches';
  }
}

const customer = { id: 'u-1', role: 'customer' } as SessionUser;

function setup(get: SessionStore['get']) {
  const reflector = new Reflector();
  const guard = new SessionGuard(reflector, { get } as SessionStore);
  const headers: Record<string, string> = {};
  const call = (handler: keyof ShopController, cookie?: string) => {
    const req: { headers: Record<string, string>; user?: SessionUser } = { headers: cookie ? { cookie } : {} };
    const res = { header: (name: string, value: string) => (headers[name] = value) };
    const context = new ExecutionContextHost([req, res], ShopController, ShopController.prototype[handler]);
    return { result: guard.canActivate(context), req };
  };
  return { call, reflector, headers };
}

describe('SessionGuard', () => {
  it('admits a public route without a session at once (no promise), and refuses a private one with 401', () => {
    const { call } = setup(jest.fn());
    expect(call('list').result).toBe(true);
    expect(() => call('mine')).toThrow(UnauthorizedException);
  });

  it("resolves the session cookie into req.user and applies the route's roles", async () => {
    const { call } = setup(jest.fn().mockResolvedValue(customer));
    const mine = call('mine', 'tenk_session=t-1');
    await expect(mine.result).resolves.toBe(true);
    expect(mine.req.user).toBe(customer);
    await expect(call('manage', 'tenk_session=t-1').result).rejects.toThrow(ForbiddenException);
  });

  it('answers 503 with Retry-After on a private route when sessions are unavailable, and still admits a public one', async () => {
    const { call, headers } = setup(jest.fn().mockRejectedValue(new Error('redis down')));
    await expect(call('list', 'tenk_session=t-1').result).resolves.toBe(true);
    await expect(call('mine', 'tenk_session=t-1').result).rejects.toThrow(ServiceUnavailableException);
    expect(headers['Retry-After']).toBe('5');
  });

  it("reads a route's metadata once, not on every request", () => {
    const { call, reflector } = setup(jest.fn());
    const read = jest.spyOn(reflector, 'getAllAndOverride');
    for (let i = 0; i < 3; i++) call('list');
    expect(read).toHaveBeenCalledTimes(2); // public, roles: for the first request only
  });
});
