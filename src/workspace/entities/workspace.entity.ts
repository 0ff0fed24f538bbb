import {
  Column,
  CreateDateColumn,
  Entity,
  PrimaryGeneratedColumn,
  UpdateDateColumn,
} from 'typeorm';
import {
  SIGN_IN_METHOD_TABLE,
  SIGN_IN_METHODS,
  signInMethodColumn,
  type SignInMethods,
} from '../sign-in-methods.js';

export type { SignInMethods } from '../sign-in-methods.js';

/** A workspace's switches: a `sign_in_<method>` column per method of SIGN_IN_METHOD_TABLE. */
export class SignInMethodSwitches {}
for (const method of SIGN_IN_METHODS) {
  Column({
    name: signInMethodColumn(method),
    type: 'boolean',
    default: SIGN_IN_METHOD_TABLE[method].enabledByDefault,
  })(SignInMethodSwitches.prototype, method);
}

export const DEFAULT_SESSION_LIFETIME_SECONDS = 30 * 24 * 3600;

@Entity({ name: 'workspaces' })
export class Workspace {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column({ type: 'text' })
  slug: string;

  @Column({ type: 'text' })
  name: string;

  @Column(() => SignInMethodSwitches, { prefix: false })
  signInMethods: SignInMethods;

  @Column({
    name: 'session_lifetime_seconds',
    type: 'integer',
    default: DEFAULT_SESSION_LIFETIME_SECONDS,
  })
  sessionLifetimeSeconds: number;

  @Column({ name: 'session_idle_timeout_seconds', type: 'integer', nullable: true })
  sessionIdleTimeoutSeconds: number | null;

  @Column({ name: 'scim_only_provisioning', type: 'boolean', default: false })
  scimOnlyProvisioning: boolean;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt: Date;
}
