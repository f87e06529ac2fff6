import { Body, Controller, Post, Res } from '@nestjs/common';
import { ApiCreatedResponse, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { InjectConfig, type TenkConfig } from '@tenk/config';
import { MailJobs } from '@tenk/messaging';
import { Public } from '../auth/auth.decorators';
import { writeSessionCookie } from '../auth/session-cookie';
import { SessionStore } from '../auth/session.store';
import { SignupBody, UserView } from './users.dto';
import { UsersService } from './users.service';

@ApiTags('accounts')
@Controller('users')
export class UsersController {
  constructor(
    private readonly users: UsersService,
    private readonly sessions: SessionStore,
    @InjectConfig() private readonly config: TenkConfig,
    private readonly mail: MailJobs,
  ) {}

  /** Sign up as a customer; the new account is signed in at once. */
  @Public()
  @Post()
  @ApiCreatedResponse({ description: 'the new account, signed in (Set-Cookie: tenk_session)' })
  @ApiResponse({ status: 409, description: 'an account for this email already exists' })
  async signup(@Body() body: SignupBody, @Res({ passthrough: true }) res: Response): Promise<UserView> {
    const user = await this.users.create({ ...body, role: 'customer' });
    writeSessionCookie(res, await this.sessions.create(user), this.config.services.publicUrl.startsWith('https:'));
    await this.mail.welcome(user); // queued for apps/mailer; never fails the signup
    return user;
  }
}
