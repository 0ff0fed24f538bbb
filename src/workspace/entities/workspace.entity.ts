import {
  Column,
  CreateDateColumn,
  Entity,
  PrimaryGeneratedColumn,
  UpdateDateColumn,
} from 'typeorm';

export interface SignInMethods {
  password: boolean;
  office365: boolean;
  saml: boolean;
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

  @Column({ name: 'sign_in_password', type: 'boolean', default: true })
  signInPassword: boolean;

  @Column({ name: 'sign_in_office365', type: 'boolean', default: true })
  signInOffice365: boolean;

  @Column({ name: 'sign_in_saml', type: 'boolean', default: true })
  signInSaml: boolean;

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

  get signInMethods(): SignInMethods {
    return {
      password: this.signInPassword,
      office365: this.signInOffice365,
      saml: this.signInSaml,
    };
  }
}
