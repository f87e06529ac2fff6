import { Body, Controller, Get, HttpCode, Post, Req, Res, UnauthorizedException } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { InjectConfig, type TenkConfig } from '@tenk/config';
import { decoyHash, toAccountView, verifyPassword } from '@tenk/accounts';
import { UsersService } from '../users/users.service';
import type { UserView } from '../users/users.dto';
import { CurrentUser, Public } from './auth.decorators';
import { LoginBody } from './auth.dto';
import { clearSessionCookie, readSessionCookie, writeSessionCookie } from './session-cookie';
import { SessionStore } from './session.store';
import type { SessionUser } from './session-user';

@ApiTags('accounts')
@Controller('auth')
export class AuthController {
  constructor(
    private readonly users: UsersService,
    private readonly sessions: SessionStore,
    @InjectConfig() private readonly config: TenkConfig,
  ) {}

  @Public()
  @Post('login')
  @HttpCode(200)
  async login(@Body() body: LoginBody, @Res({ passthrough: true }) res: Response): Promise<UserView> {
    const user = await this.users.findForLogin(body.email);
    const valid = await verifyPassword(user?.passwordHash ?? (await decoyHash()), body.password);
    if (!user || !valid) throw new UnauthorizedException('email or password is wrong');
    const view = toAccountView(user);
    writeSessionCookie(res, await this.sessions.create(view), this.#secure());
    return view;
  }

  @Public()
  @Post('logout')
  @HttpCode(204)
  async logout(@Req() req: Request, @Res({ passthrough: true }) res: Response): Promise<void> {
    const token = readSessionCookie(req);
    if (token) await this.sessions.destroy(token);
    clearSessionCookie(res, this.#secure());
  }

  @Get('me')
  me(@CurrentUser() user: SessionUser): SessionUser {
    return user;
  }

  #secure(): boolean {
    return this.config.services.publicUrl.startsWith('https:');
  }
}
