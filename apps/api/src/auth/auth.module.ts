import { Global, Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { MailJobs } from '../users/mail-jobs';
import { UsersAdminController } from '../users/users-admin.controller';
import { UsersController } from '../users/users.controller';
import { UsersService } from '../users/users.service';
import { AuthController } from './auth.controller';
import { AuthMetrics } from './auth.metrics';
import { AuthRedis } from './auth-redis';
import { CsrfGuard } from './csrf.guard';
import { LoginThrottle } from './login-throttle';
import { SessionGuard } from './session.guard';
import { SessionStore } from './session.store';
import { SignupThrottle } from './signup-throttle';

/**
 * Accounts, login sessions in Redis, sign-in and sign-up limits, and the global access rules:
 * CsrfGuard (state changes only from the shop's own pages, as JSON), then SessionGuard.
 */
@Global()
@Module({
  controllers: [AuthController, UsersController, UsersAdminController],
  providers: [
    AuthRedis,
    SessionStore,
    LoginThrottle,
    SignupThrottle,
    AuthMetrics,
    UsersService,
    MailJobs,
    { provide: APP_GUARD, useClass: CsrfGuard },
    { provide: APP_GUARD, useClass: SessionGuard },
  ],
  exports: [SessionStore, UsersService],
})
export class AuthModule {}
