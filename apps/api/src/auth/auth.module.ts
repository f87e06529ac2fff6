import { Global, Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { UsersController } from '../users/users.controller';
import { UsersService } from '../users/users.service';
import { AuthController } from './auth.controller';
import { AuthMetrics } from './auth.metrics';
import { AuthRedis } from './auth-redis';
import { LoginThrottle } from './login-throttle';
import { SessionGuard } from './session.guard';
import { SessionStore } from './session.store';

/** Accounts, login sessions in Redis, sign-in throttling, and the global access rule (SessionGuard). */
@Global()
@Module({
  controllers: [AuthController, UsersController],
  providers: [AuthRedis, SessionStore, LoginThrottle, AuthMetrics, UsersService, { provide: APP_GUARD, useClass: SessionGuard }],
  exports: [SessionStore, UsersService],
})
export class AuthModule {}
