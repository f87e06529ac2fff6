import { Body, Controller, HttpException, HttpStatus, Post, Req, Res, ServiceUnavailableException } from '@nestjs/common';
import { ApiCreatedResponse, ApiResponse, ApiTags } from '@nestjs/swagger';
import { randomUUID } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { PinoLogger } from 'nestjs-pino';
import { InjectConfig, type TenkConfig } from '@tenk/config';
import { AuthMetrics } from '../auth/auth.metrics';
import { Public } from '../auth/auth.decorators';
import { clientAddress } from '../auth/client-address';
import { writeSessionCookie } from '../auth/session-cookie';
import { SessionStore } from '../auth/session.store';
import { SignupThrottle, type SignupVerdict } from '../auth/signup-throttle';
import { MailJobs } from './mail-jobs';
import { SignupBody, UserView } from './users.dto';
import { UsersService } from './users.service';

@ApiTags('accounts')
@Controller('users')
export class UsersController {
  constructor(
    private readonly users: UsersService,
    private readonly sessions: SessionStore,
    private readonly throttle: SignupThrottle,
    private readonly metrics: AuthMetrics,
    private readonly mail: MailJobs,
    private readonly logger: PinoLogger,
    @InjectConfig() private readonly config: TenkConfig,
  ) {
    logger.setContext(UsersController.name);
  }

  /**
   * Sign up as a customer; the new account is signed in at once. An email that has an account
   * already gets the very same answer (201, the same fields, a cookie), but no session: its
   * owner gets a mail saying someone tried. So sign-up tells nobody which emails have accounts.
   */
  @Public()
  @Post()
  @ApiCreatedResponse({
    description:
      'the new account, signed in (Set-Cookie: tenk_session); the same answer, without a session, when the email has an account already (its owner gets a mail)',
  })
  @ApiResponse({
    status: 429,
    description: 'too many sign-ups from this address (TENK_SIGNUP_MAX_PER_CLIENT per TENK_SIGNUP_WINDOW); see Retry-After',
  })
  async signup(@Body() body: SignupBody, @Req() req: FastifyRequest, @Res({ passthrough: true }) res: FastifyReply): Promise<UserView> {
    const client = clientAddress(req);
    const verdict = await this.#countSignup(client, res);
    if (verdict.throttled) {
      this.metrics.signup('throttled');
      this.logger.warn({ client, retryAfterSeconds: verdict.retryAfterSeconds }, 'sign-up refused: too many from this address');
      throw new HttpException(
        {
          statusCode: 429,
          error: 'Too Many Requests',
          message: `too many sign-ups from your address: at most ${verdict.limit} in ${describeSeconds(verdict.windowSeconds)} (TENK_SIGNUP_MAX_PER_CLIENT); try again in ${verdict.retryAfterSeconds} s`,
          retryAfterSeconds: verdict.retryAfterSeconds,
        },
        HttpStatus.TOO_MANY_REQUESTS,
      );
    }
    const registration = await this.users.register({ ...body, role: 'customer' });
    let token: string;
    let view: UserView;
    if (registration.kind === 'created') {
      view = registration.account;
      token = await this.sessions.create(view);
      this.metrics.signup('created');
      await this.mail.welcome(view); // queued for apps/mailer; never fails the signup
    } else {
      // Shaped as the new account would be: what was sent, a fresh id, a token of no session.
      view = { id: randomUUID(), email: body.email.trim(), name: body.name.trim(), role: 'customer' };
      token = this.sessions.decoyToken();
      this.metrics.signup('email_taken');
      await this.mail.accountExists(registration.account);
    }
    writeSessionCookie(res, token, this.config.services.publicUrl.startsWith('https:'), this.sessions.cookieMaxAgeMs);
    return view;
  }

  async #countSignup(client: string, res: FastifyReply): Promise<SignupVerdict> {
    try {
      return await this.throttle.attempt(client);
    } catch (error) {
      res.header('Retry-After', '5');
      throw new ServiceUnavailableException(`sign-up is unavailable right now (${(error as Error).message}); try again shortly`);
    }
  }
}

function describeSeconds(seconds: number): string {
  if (seconds % 3600 === 0) return `${seconds / 3600} h`;
  if (seconds % 60 === 0) return `${seconds / 60} min`;
  return `${seconds} s`;
}
