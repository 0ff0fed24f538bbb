import { MigrationInterface, QueryRunner } from 'typeorm';

export class SamlProviders1764390000000 implements MigrationInterface {
  name = 'SamlProviders1764390000000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      CREATE TABLE saml_providers (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        workspace_id uuid NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
        name text NOT NULL,
        provider_token text NOT NULL,
        enabled boolean NOT NULL DEFAULT true,
        idp_entity_id text NOT NULL,
        idp_sso_url text NOT NULL,
        idp_sso_binding text NOT NULL DEFAULT 'HTTP-Redirect'
          CHECK (idp_sso_binding IN ('HTTP-Redirect', 'HTTP-POST')),
        idp_certificates jsonb NOT NULL,
        allow_idp_initiated boolean NOT NULL DEFAULT true,
        sign_authn_requests boolean NOT NULL DEFAULT false,
        want_encrypted_assertions boolean NOT NULL DEFAULT false,
        sp_private_key_sealed text NOT NULL,
        sp_certificate text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    await db.query(
      `CREATE UNIQUE INDEX saml_providers_token_key ON saml_providers (provider_token)`,
    );
    await db.query(
      `CREATE UNIQUE INDEX saml_providers_name_key ON saml_providers (workspace_id, lower(name))`,
    );
    // AuthnRequests this service issued, so any instance can match InResponseTo once.
    await db.query(`
      CREATE TABLE saml_requests (
        provider_id uuid NOT NULL REFERENCES saml_providers (id) ON DELETE CASCADE,
        request_id text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (provider_id, request_id)
      )`);
    await db.query(`CREATE INDEX saml_requests_created_idx ON saml_requests (created_at)`);
    // Assertion IDs already accepted, until they expire: each assertion signs in once.
    await db.query(`
      CREATE TABLE saml_replay_cache (
        provider_id uuid NOT NULL REFERENCES saml_providers (id) ON DELETE CASCADE,
        assertion_id text NOT NULL,
        expires_at timestamptz NOT NULL,
        PRIMARY KEY (provider_id, assertion_id)
      )`);
    await db.query(`CREATE INDEX saml_replay_cache_expires_idx ON saml_replay_cache (expires_at)`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`DROP TABLE saml_replay_cache`);
    await db.query(`DROP TABLE saml_requests`);
    await db.query(`DROP TABLE saml_providers`);
  }
}
