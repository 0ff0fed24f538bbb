import {
  Inject,
  Injectable,
  Logger,
  OnApplicationBootstrap,
  OnModuleDestroy,
} from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { APP_CONFIG } from '../../config/config.module.js';
import type { AppConfig } from '../../config/configuration.js';

/** How often expired replay-cache entries and unanswered AuthnRequests are deleted. */
const PRUNE_INTERVAL_MS = 60_000;
/** Rows one delete statement removes at most, so a backlog never holds locks for long. */
const PRUNE_BATCH = 5_000;
/** Batches one pass runs at most; what is left waits for the next pass. */
const PRUNE_MAX_BATCHES = 20;

/**
 * Assertion IDs already accepted (each assertion signs in once), and the housekeeping of the two
 * SAML tables that only grow: expired rows are deleted in bounded batches every minute, off the
 * sign-in path. An expired row left in place changes nothing: `remember` treats it as absent.
 */
@Injectable()
export class SamlReplayCache implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger('SamlReplayCache');
  private timer: NodeJS.Timeout | undefined;
  private pass: Promise<unknown> = Promise.resolve();

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /**
   * Records the assertion as used until `expiresAt`; false when it is live in the cache already
   * (a replay). One statement: a row of an earlier, expired use is taken over, not refused.
   */
  async remember(providerId: string, assertionId: string, expiresAt: Date): Promise<boolean> {
    const rows: unknown[] = await this.dataSource.query(
      `INSERT INTO saml_replay_cache AS c (provider_id, assertion_id, expires_at)
       VALUES ($1, $2, $3)
       ON CONFLICT (provider_id, assertion_id)
         DO UPDATE SET expires_at = EXCLUDED.expires_at WHERE c.expires_at < now()
       RETURNING assertion_id`,
      [providerId, assertionId, expiresAt],
    );
    return rows.length > 0;
  }

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => {
      this.pass = this.prune().catch((error: unknown) =>
        this.logger.error(`Pruning the SAML caches failed: ${String(error)}`),
      );
    }, PRUNE_INTERVAL_MS);
    this.timer.unref();
  }

  async onModuleDestroy(): Promise<void> {
    clearInterval(this.timer);
    await this.pass;
  }

  /** Deletes expired replay entries and stale AuthnRequests; returns how many of each. */
  async prune(): Promise<{ replays: number; requests: number }> {
    const replays = await this.deleteInBatches(
      `DELETE FROM saml_replay_cache WHERE (provider_id, assertion_id) IN (
         SELECT provider_id, assertion_id FROM saml_replay_cache
          WHERE expires_at < now() LIMIT $1 FOR UPDATE SKIP LOCKED)`,
      [PRUNE_BATCH],
    );
    // An AuthnRequest older than its TTL is refused anyway; twice the TTL leaves a margin.
    const requests = await this.deleteInBatches(
      `DELETE FROM saml_requests WHERE (provider_id, request_id) IN (
         SELECT provider_id, request_id FROM saml_requests
          WHERE created_at < now() - make_interval(secs => $2) LIMIT $1 FOR UPDATE SKIP LOCKED)`,
      [PRUNE_BATCH, this.config.saml.requestTtlSeconds * 2],
    );
    return { replays, requests };
  }

  private async deleteInBatches(sql: string, parameters: unknown[]): Promise<number> {
    let total = 0;
    for (let batch = 0; batch < PRUNE_MAX_BATCHES; batch++) {
      const [, deleted]: [unknown, number] = await this.dataSource.query(sql, parameters);
      total += deleted;
      if (deleted < PRUNE_BATCH) break;
    }
    return total;
  }
}
