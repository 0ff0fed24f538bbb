import { MigrationInterface, QueryRunner } from 'typeorm';

export class InitialSchema1764380000000 implements MigrationInterface {
  name = 'InitialSchema1764380000000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      CREATE TABLE workspaces (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        slug text NOT NULL,
        name text NOT NULL,
        sign_in_password boolean NOT NULL DEFAULT true,
        sign_in_office365 boolean NOT NULL DEFAULT true,
        sign_in_saml boolean NOT NULL DEFAULT true,
        session_lifetime_seconds integer NOT NULL DEFAULT 2592000
          CHECK (session_lifetime_seconds > 0),
        session_idle_timeout_seconds integer CHECK (session_idle_timeout_seconds > 0),
        scim_only_provisioning boolean NOT NULL DEFAULT false,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    await db.query(`CREATE UNIQUE INDEX workspaces_slug_key ON workspaces (lower(slug))`);

    await db.query(`
      CREATE TABLE users (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        email text NOT NULL CHECK (email = lower(email)),
        full_name text,
        password_hash text,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    await db.query(`CREATE UNIQUE INDEX users_email_key ON users (email)`);

    await db.query(`
      CREATE TABLE memberships (
        workspace_id uuid NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
        user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        role text NOT NULL CHECK (role IN ('admin', 'member')),
        status text NOT NULL CHECK (status IN ('active', 'deactivated')),
        source text NOT NULL CHECK (source IN ('manual', 'invite', 'saml', 'scim')),
        scim_managed boolean NOT NULL DEFAULT false,
        deactivated_at timestamptz,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (workspace_id, user_id)
      )`);
    await db.query(`CREATE INDEX memberships_user_idx ON memberships (user_id)`);

    await db.query(`
      CREATE TABLE groups (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        workspace_id uuid NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
        display_name text NOT NULL,
        scim_managed boolean NOT NULL DEFAULT false,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        UNIQUE (workspace_id, id)
      )`);
    await db.query(
      `CREATE UNIQUE INDEX groups_display_name_key ON groups (workspace_id, lower(display_name))`,
    );

    await db.query(`
      CREATE TABLE group_members (
        workspace_id uuid NOT NULL,
        group_id uuid NOT NULL,
        user_id uuid NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (group_id, user_id),
        FOREIGN KEY (workspace_id, group_id) REFERENCES groups (workspace_id, id) ON DELETE CASCADE,
        FOREIGN KEY (workspace_id, user_id)
          REFERENCES memberships (workspace_id, user_id) ON DELETE CASCADE
      )`);
    await db.query(`CREATE INDEX group_members_user_idx ON group_members (workspace_id, user_id)`);

    await db.query(`
      CREATE TABLE invites (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        workspace_id uuid NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
        email text NOT NULL CHECK (email = lower(email)),
        role text NOT NULL CHECK (role IN ('admin', 'member')),
        token_hash text NOT NULL,
        expires_at timestamptz NOT NULL,
        accepted_at timestamptz,
        accepted_by_user_id uuid REFERENCES users (id) ON DELETE SET NULL,
        created_by_user_id uuid REFERENCES users (id) ON DELETE SET NULL,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await db.query(`CREATE UNIQUE INDEX invites_token_hash_key ON invites (token_hash)`);
    await db.query(`CREATE INDEX invites_workspace_idx ON invites (workspace_id, created_at DESC)`);

    await db.query(`
      CREATE TABLE claimed_domains (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        workspace_id uuid NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
        domain text NOT NULL CHECK (domain = lower(domain)),
        status text NOT NULL CHECK (status IN ('pending', 'verified')),
        verification_token text NOT NULL,
        verified_at timestamptz,
        last_checked_at timestamptz,
        created_at timestamptz NOT NULL DEFAULT now(),
        UNIQUE (workspace_id, domain)
      )`);
    await db.query(
      `CREATE UNIQUE INDEX claimed_domains_verified_key ON claimed_domains (domain) WHERE status = 'verified'`,
    );

    await db.query(`
      CREATE TABLE sessions (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        token_hash text NOT NULL,
        workspace_id uuid NOT NULL,
        user_id uuid NOT NULL,
        method text NOT NULL CHECK (method IN ('password', 'office365', 'saml')),
        created_at timestamptz NOT NULL DEFAULT now(),
        last_seen_at timestamptz NOT NULL DEFAULT now(),
        revoked_at timestamptz,
        revoked_reason text,
        ip_address text,
        user_agent text,
        FOREIGN KEY (workspace_id, user_id)
          REFERENCES memberships (workspace_id, user_id) ON DELETE CASCADE
      )`);
    await db.query(`CREATE UNIQUE INDEX sessions_token_hash_key ON sessions (token_hash)`);
    await db.query(
      `CREATE INDEX sessions_live_idx ON sessions (workspace_id, user_id) WHERE revoked_at IS NULL`,
    );

    await db.query(`
      CREATE TABLE audit_events (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        seq bigint GENERATED ALWAYS AS IDENTITY,
        workspace_id uuid NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
        channel text NOT NULL,
        actor_type text NOT NULL,
        actor_id text,
        actor_label text,
        action text NOT NULL,
        target_type text,
        target_id text,
        before jsonb,
        after jsonb,
        details jsonb,
        ip_address text,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await db.query(
      `CREATE INDEX audit_events_workspace_idx ON audit_events (workspace_id, seq DESC)`,
    );

    await db.query(`
      CREATE TABLE sign_in_failures (
        key varchar(255) PRIMARY KEY,
        points integer NOT NULL DEFAULT 0,
        expire bigint
      )`);
  }

  async down(db: QueryRunner): Promise<void> {
    for (const table of [
      'sign_in_failures',
      'audit_events',
      'sessions',
      'claimed_domains',
      'invites',
      'group_members',
      'groups',
      'memberships',
      'users',
      'workspaces',
    ]) {
      await db.query(`DROP TABLE ${table}`);
    }
  }
}
