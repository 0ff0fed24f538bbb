import { MigrationInterface, QueryRunner } from 'typeorm';

export class Scim1764400000000 implements MigrationInterface {
  name = 'Scim1764400000000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      CREATE TABLE scim_connections (
        workspace_id uuid PRIMARY KEY REFERENCES workspaces (id) ON DELETE CASCADE,
        provider text NOT NULL CHECK (provider IN ('okta', 'azure', 'generic')),
        token_hash text NOT NULL,
        previous_token_hash text,
        previous_token_expires_at timestamptz,
        entra_legacy_requests integer NOT NULL DEFAULT 0,
        entra_legacy_last_seen_at timestamptz,
        last_request_at timestamptz,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    await db.query(
      `CREATE UNIQUE INDEX scim_connections_token_key ON scim_connections (token_hash)`,
    );
    await db.query(
      `CREATE UNIQUE INDEX scim_connections_previous_token_key ON scim_connections (previous_token_hash)`,
    );

    // A person is SCIM-linked to at most one workspace.
    await db.query(
      `ALTER TABLE users ADD COLUMN scim_workspace_id uuid REFERENCES workspaces (id) ON DELETE SET NULL`,
    );
    await db.query(`
      ALTER TABLE memberships
        ADD COLUMN scim_user_name text,
        ADD COLUMN scim_external_id text,
        ADD COLUMN scim_data jsonb,
        ADD COLUMN scim_admin boolean NOT NULL DEFAULT false`);
    await db.query(
      `CREATE UNIQUE INDEX memberships_scim_user_name_key ON memberships (workspace_id, lower(scim_user_name))`,
    );
    await db.query(
      `CREATE INDEX memberships_scim_external_id_idx ON memberships (workspace_id, scim_external_id)`,
    );

    await db.query(`
      ALTER TABLE groups
        ADD COLUMN scim_external_id text,
        ADD COLUMN admin_role boolean NOT NULL DEFAULT false`);
    await db.query(
      `CREATE INDEX groups_scim_external_id_idx ON groups (workspace_id, scim_external_id)`,
    );

    await db.query(`
      CREATE TABLE scim_requests (
        id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        workspace_id uuid NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
        method text NOT NULL,
        path text NOT NULL,
        status integer NOT NULL,
        duration_ms integer NOT NULL,
        user_agent text,
        error_detail text,
        request_body jsonb,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await db.query(
      `CREATE INDEX scim_requests_workspace_idx ON scim_requests (workspace_id, id DESC)`,
    );
    await db.query(`CREATE INDEX scim_requests_created_idx ON scim_requests (created_at)`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`DROP TABLE scim_requests`);
    await db.query(`ALTER TABLE groups DROP COLUMN scim_external_id, DROP COLUMN admin_role`);
    await db.query(`
      ALTER TABLE memberships
        DROP COLUMN scim_user_name,
        DROP COLUMN scim_external_id,
        DROP COLUMN scim_data,
        DROP COLUMN scim_admin`);
    await db.query(`ALTER TABLE users DROP COLUMN scim_workspace_id`);
    await db.query(`DROP TABLE scim_connections`);
  }
}
