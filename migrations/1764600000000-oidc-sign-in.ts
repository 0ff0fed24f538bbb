import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Generic OpenID Connect sign-in: the `oidc` method (its switch, off by default: it needs the
 * workspace's own provider first; sessions may name it) and each workspace's provider, with
 * its client secret sealed under SECRET_KEY. Reverting ends the sessions made with it.
 */
export class OidcSignIn1764600000000 implements MigrationInterface {
  name = 'OidcSignIn1764600000000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`ALTER TABLE workspaces ADD COLUMN sign_in_oidc boolean NOT NULL DEFAULT false`);
    await db.query(`ALTER TABLE sessions DROP CONSTRAINT sessions_method_check`);
    await db.query(`
      ALTER TABLE sessions ADD CONSTRAINT sessions_method_check
        CHECK (method IN ('password', 'office365', 'saml', 'oidc'))`);
    await db.query(`
      CREATE TABLE oidc_configurations (
        workspace_id uuid PRIMARY KEY REFERENCES workspaces (id) ON DELETE CASCADE,
        issuer text NOT NULL CHECK (issuer <> ''),
        client_id text NOT NULL CHECK (client_id <> ''),
        client_secret_sealed text NOT NULL,
        version integer NOT NULL DEFAULT 1,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`DROP TABLE oidc_configurations`);
    await db.query(`DELETE FROM sessions WHERE method = 'oidc'`);
    await db.query(`ALTER TABLE sessions DROP CONSTRAINT sessions_method_check`);
    await db.query(`
      ALTER TABLE sessions ADD CONSTRAINT sessions_method_check
        CHECK (method IN ('password', 'office365', 'saml'))`);
    await db.query(`ALTER TABLE workspaces DROP COLUMN sign_in_oidc`);
  }
}
