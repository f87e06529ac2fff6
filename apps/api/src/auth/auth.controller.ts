import {
  Body,
  Controller,
  Get,
  HttpCode,
  HttpException,
  HttpStatus,
  Post,
  Req,
  Res,
  ServiceUnavailableException,
  UnauthorizedException,
} from '@nestjs/common';
import { ApiOkResponse, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { PinoLogger } from 'nestjs-pino';
import { InjectConfig, type TenkConfig } from '@tenk/config';
import { UsersService } from '../users/users.service';
import type { UserView } from '../users/users.dto';
import { AuthMetrics } from './auth.metrics';
import { CurrentUser, Public } from './auth.decorators';
import { LoginBody, SessionView } from './auth.dto';
import { clientAddress } from './client-address';
import { LoginThrottle, type ThrottleVerdict } from './login-throttle';
import { clearSessionCookie, readSessionCookie, writeSessionCookie } from './session-cookie';
import { SessionStore } from './session.store';
import type { SessionUser } from './session-user';

@ApiTags('accounts')
@Controller('auth')
export class AuthController {
  constructor(
    private readonly users: UsersService,
    private readonly sessions: SessionStore,
    private readonly throttle: LoginThrottle,
    private readonly metrics: AuthMetrics,
    private readonly logger: PinoLogger,
    @InjectConfig() private readonly config: TenkConfig,
  ) {
    logger.setContext(AuthController.name);
  }

  /**
   * Signs in and sets the session cookie. Failed attempts are limited per account and client
   * address (a growing wait) and per client address (429 with Retry-After, whatever the password).
   */
  @Public()
  @Post('login')
  @HttpCode(200)
  @ApiResponse({ status: 401, description: 'email or password is wrong' })
  @ApiResponse({
    status: 429,
    description: 'too many failed sign-ins for this account from this address, or from this address; see Retry-After',
  })
  async login(@Body() body: LoginBody, @Req() req: FastifyRequest, @Res({ passthrough: true }) res: FastifyReply): Promise<UserView> {
    const client = clientAddress(req);
    const verdict = await this.#countAttempt(body.email, client, res);
    if (verdict.throttled) {
      this.metrics.login(verdict.scope === 'account' ? 'throttled_account' : 'throttled_client');
      // Who was targeted stays out of the log (no email); where the guesses come from is in.
      this.logger.warn(
        { scope: verdict.scope, client, retryAfterSeconds: verdict.retryAfterSeconds },
        'sign-in refused: too many failures',
      );
      const who = verdict.scope === 'account' ? 'for this account from your address' : 'from your address';
      throw new HttpException(
        {
          statusCode: 429,
          error: 'Too Many Requests',
          message: `too many failed sign-ins ${who}; try again in ${verdict.retryAfterSeconds} s`,
          retryAfterSeconds: verdict.retryAfterSeconds,
        },
        HttpStatus.TOO_MANY_REQUESTS,
      );
    }
    const account = await this.users.signIn(body.email, body.password);
    if (!account) {
      this.metrics.login('failure');
      // Counted already; this starts the wait of a client past its free failures from now.
      await this.throttle
        .failed(body.email, client)
        .catch((error: unknown) => this.logger.warn({ err: error }, 'could not restart the sign-in wait'));
      throw new UnauthorizedException('email or password is wrong');
    }
    await this.throttle.succeeded(body.email, client);
    // A new token on every sign-in (no session fixation); the one the browser had is ended.
    const previous = readSessionCookie(req);
    if (previous) await this.sessions.destroy(previous);
    const { view, token } = await this.#startSession(account);
    writeSessionCookie(res, token, this.#secure(), this.sessions.cookieMaxAgeMs);
    this.metrics.login('success');
    return view;
  }

  @Public()
  @Post('logout')
  @HttpCode(204)
  async logout(@Req() req: FastifyRequest, @Res({ passthrough: true }) res: FastifyReply): Promise<void> {
    const token = readSessionCookie(req);
    if (token) await this.sessions.destroy(token);
    clearSessionCookie(res, this.#secure());
  }

  /** Who is signed in; 401 without a session. */
  @Get('me')
  me(@CurrentUser() user: SessionUser): SessionUser {
    return user;
  }

  /** Who is signed in, if anyone: always 200, so a page can ask without an error in the console. */
  @Public()
  @Get('session')
  @ApiOkResponse({ type: SessionView })
  session(@Req() req: FastifyRequest & { user?: SessionUser }): SessionView {
    return { user: req.user ?? null };
  }

  /**
   * Makes the session, then reads the role again: an admin who changed this account's role (or
   * deleted it) while the password was being checked ended its sessions before this one was
   * listed, or changed the row before this read. Either way no session keeps a stale role.
   */
  async #startSession(account: UserView): Promise<{ view: UserView; token: string }> {
    let view = account;
    for (let attempt = 0; attempt < 3; attempt += 1) {
      const token = await this.sessions.create(view);
      const role = await this.users.currentRole(view.id);
      if (role === view.role) return { view, token };
      await this.sessions.destroy(token);
      if (role === null) break;
      view = { ...view, role };
    }
    this.metrics.login('failure');
    throw new UnauthorizedException('email or password is wrong');
  }

  async #countAttempt(email: string, client: string, res: FastifyReply): Promise<ThrottleVerdict> {
    try {
      return await this.throttle.attempt(email, client);
    } catch (error) {
      res.header('Retry-After', '5');
      throw new ServiceUnavailableException(`sign-in is unavailable right now (${(error as Error).message}); try again shortly`);
    }
  }

  #secure(): boolean {
    return this.config.services.publicUrl.startsWith('https:');
  }
}
