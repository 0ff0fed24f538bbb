import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { PasswordHasher } from '../common/password-hasher.js';
import { AuditService } from '../workspace/audit.service.js';
import { normalizeEmail } from '../workspace/email.js';
import { Membership } from '../workspace/entities/membership.entity.js';
import { User } from '../workspace/entities/user.entity.js';
import { WorkspaceService } from '../workspace/workspace.service.js';
import { AuthException } from './auth.errors.js';
import { LoginThrottleService } from './login-throttle.service.js';
import { SessionService } from '../workspace/sessions/session.service.js';
import {
  assertMembershipActiveOrThrow,
  assertSignInMethodEnabledOrThrow,
} from './sign-in-policy.js';

const invalidCredentials = () =>
  new AuthException('INVALID_CREDENTIALS', 'The email or password is not correct.');

export interface SignInContext {
  ipAddress: string;
  userAgent?: string;
}

@Injectable()
export class PasswordSignInService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly workspaces: WorkspaceService,
    private readonly sessions: SessionService,
    private readonly passwords: PasswordHasher,
    private readonly throttle: LoginThrottleService,
    private readonly audit: AuditService,
  ) {}

  /**
   * Unknown workspace, unknown email and wrong password all get the same answer after the same
   * work (a password hash is always verified).
   */
  async signIn(
    input: { workspace: string; email: string; password: string },
    context: SignInContext,
  ): Promise<{ token: string; sessionId: string }> {
    const email = normalizeEmail(input.email);
    // Taken before anything is checked, so concurrent attempts cannot all pass a stale count.
    await this.throttle.consume(email, context.ipAddress);

    const workspace = await this.workspaces.findByIdOrSlug(input.workspace);
    if (workspace && !workspace.signInMethods.password) {
      await this.throttle.refund(email, context.ipAddress); // no password was checked
      assertSignInMethodEnabledOrThrow(workspace.signInMethods, 'password');
    }

    const user = await this.dataSource
      .getRepository(User)
      .createQueryBuilder('u')
      .addSelect('u.passwordHash')
      .where('u.email = :email', { email })
      .getOne();
    const passwordMatches = await this.passwords.verify(user?.passwordHash, input.password);
    if (!workspace || !user || !passwordMatches) throw invalidCredentials();

    const membership = await this.dataSource
      .getRepository(Membership)
      .findOneBy({ workspaceId: workspace.id, userId: user.id });
    assertMembershipActiveOrThrow(membership);
    // Signed in: this attempt gives its own point back, and only its own (never a reset).
    await this.throttle.refund(email, context.ipAddress);

    return this.dataSource.transaction(async (tx) => {
      const { token, session } = await this.sessions.create(tx, {
        workspaceId: workspace.id,
        userId: user.id,
        method: 'password',
        ipAddress: context.ipAddress,
        userAgent: context.userAgent,
      });
      await this.audit.record(
        tx,
        workspace.id,
        {
          channel: 'auth',
          type: 'user',
          id: user.id,
          label: user.email,
          ipAddress: context.ipAddress,
        },
        {
          action: 'session.created',
          targetType: 'session',
          targetId: session.id,
          details: { method: 'password' },
        },
      );
      return { token, sessionId: session.id };
    });
  }
}
