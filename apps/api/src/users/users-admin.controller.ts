import { Body, Controller, Delete, ForbiddenException, HttpCode, NotFoundException, Param, Patch } from '@nestjs/common';
import { ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import { AuthMetrics } from '../auth/auth.metrics';
import { CurrentUser, Roles } from '../auth/auth.decorators';
import { SessionStore } from '../auth/session.store';
import type { SessionUser } from '../auth/session-user';
import { isUuid } from '../common/list-query';
import { ChangeRoleBody, type UserView } from './users.dto';
import { UsersService } from './users.service';

/**
 * Admins change a user's role or delete a user. Either ends every session the user has, at
 * once: a session carries the role it was made with, so a demoted admin must not keep one.
 * The account is changed first and the sessions ended after, so a sign-in racing with it ends
 * up with the new role (see AuthController's #startSession). Repeating a request is safe: if
 * the sessions could not be ended (Redis down), send it again.
 */
@ApiTags('accounts')
@Controller('admin/users')
@Roles('admin')
export class UsersAdminController {
  constructor(
    private readonly users: UsersService,
    private readonly sessions: SessionStore,
    private readonly metrics: AuthMetrics,
  ) {}

  @Patch(':id')
  @ApiOperation({ summary: "Change a user's role; ends their sessions" })
  @ApiResponse({ status: 403, description: 'not an admin, or an admin changing their own role' })
  @ApiResponse({ status: 404, description: 'no user with this id' })
  async changeRole(@CurrentUser() admin: SessionUser, @Param('id') id: string, @Body() body: ChangeRoleBody): Promise<UserView> {
    if (id === admin.id) throw new ForbiddenException('you cannot change your own role; another admin can');
    const account = isUuid(id) ? await this.users.changeRole(id, body.role) : null;
    if (!account) throw new NotFoundException(`no user with id ${id}`);
    this.metrics.sessionsEnded('role_changed', await this.sessions.endAllFor(id));
    return account;
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiOperation({ summary: 'Delete a user; ends their sessions (their orders, videos and reports stay)' })
  @ApiResponse({ status: 403, description: 'not an admin, or an admin deleting themselves' })
  @ApiResponse({ status: 404, description: 'no user with this id' })
  async delete(@CurrentUser() admin: SessionUser, @Param('id') id: string): Promise<void> {
    if (id === admin.id) throw new ForbiddenException('you cannot delete your own account here; another admin can');
    if (!isUuid(id)) throw new NotFoundException(`no user with id ${id}`);
    const deleted = await this.users.delete(id);
    // Also when it was gone already: a retry after Redis failed still ends the sessions.
    this.metrics.sessionsEnded('account_deleted', await this.sessions.endAllFor(id));
    if (!deleted) throw new NotFoundException(`no user with id ${id}`);
  }
}
