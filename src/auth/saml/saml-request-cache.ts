import type { CacheItem, CacheProvider } from '@node-saml/node-saml';
import type { DataSource } from 'typeorm';

/**
 * node-saml's InResponseTo cache, in PostgreSQL and scoped to one provider: any instance can
 * match a response to the AuthnRequest another instance issued, and a request of provider A can
 * never answer for provider B. Requests nobody answered are deleted by SamlReplayCache.prune.
 */
export class SamlRequestCache implements CacheProvider {
  constructor(
    private readonly dataSource: DataSource,
    private readonly providerId: string,
    private readonly ttlSeconds: number,
  ) {}

  async saveAsync(key: string, value: string): Promise<CacheItem | null> {
    const rows: { created_at: Date }[] = await this.dataSource.query(
      `INSERT INTO saml_requests (provider_id, request_id, created_at) VALUES ($1, $2, $3)
       ON CONFLICT DO NOTHING RETURNING created_at`,
      [this.providerId, key, value],
    );
    return rows[0] ? { value, createdAt: rows[0].created_at.getTime() } : null;
  }

  async getAsync(key: string): Promise<string | null> {
    const rows: { created_at: Date }[] = await this.dataSource.query(
      `SELECT created_at FROM saml_requests
        WHERE provider_id = $1 AND request_id = $2
          AND created_at > now() - make_interval(secs => $3)`,
      [this.providerId, key, this.ttlSeconds],
    );
    return rows[0] ? rows[0].created_at.toISOString() : null;
  }

  async removeAsync(key: string | null): Promise<string | null> {
    if (key === null) return null;
    const [rows]: [{ created_at: Date }[], number] = await this.dataSource.query(
      `DELETE FROM saml_requests WHERE provider_id = $1 AND request_id = $2 RETURNING created_at`,
      [this.providerId, key],
    );
    return rows[0] ? rows[0].created_at.toISOString() : null;
  }
}
