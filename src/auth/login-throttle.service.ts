import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { RateLimiterPostgres, RateLimiterRes } from 'rate-limiter-flexible';
import { DataSource } from 'typeorm';
import { APP_CONFIG } from '../config/config.module.js';
import type { AppConfig } from '../config/configuration.js';
import { AuthException } from './auth.errors.js';

/**
 * Sign-in attempts per account and per client IP, counted in PostgreSQL (rate-limiter-flexible,
 * table `sign_in_failures` from the migrations) so every instance sees the same counts.
 *
 * An attempt is consumed atomically (one upsert) before the credentials are checked, so a burst
 * of concurrent attempts across instances checks at most the limit; a successful attempt then
 * refunds its own point. Nothing is ever reset: a success inside a burst gives back one point,
 * not the burst's. Over the limit, sign-in is refused with 429 until the window has passed,
 * even with the right password.
 */
@Injectable()
export class LoginThrottleService {
  private readonly perAccount: RateLimiterPostgres;
  private readonly perIp: RateLimiterPostgres;

  constructor(@InjectDataSource() dataSource: DataSource, @Inject(APP_CONFIG) config: AppConfig) {
    const common = {
      storeClient: dataSource,
      storeType: 'typeorm',
      tableName: 'sign_in_failures',
      tableCreated: true,
      duration: config.loginThrottle.windowSeconds,
    };
    this.perAccount = new RateLimiterPostgres({
      ...common,
      keyPrefix: 'account',
      points: config.loginThrottle.maxPerAccount,
    });
    this.perIp = new RateLimiterPostgres({
      ...common,
      keyPrefix: 'ip',
      points: config.loginThrottle.maxPerIp,
    });
  }

  /**
   * Takes one attempt from the IP's and the account's allowance, or refuses (429). An attempt
   * refused for the account gives the IP its point back: nothing was checked.
   */
  async consume(account: string, ip: string): Promise<void> {
    await take(this.perIp, ip);
    try {
      await take(this.perAccount, account);
    } catch (error) {
      await this.perIp.reward(ip, 1);
      throw error;
    }
  }

  /** Gives back the point of one attempt taken by `consume` (a success, or nothing checked). */
  async refund(account: string, ip: string): Promise<void> {
    await Promise.all([this.perAccount.reward(account, 1), this.perIp.reward(ip, 1)]);
  }

  /** For sign-in paths without a password (SAML, OIDC): only the client IP is counted. */
  async consumeIp(ip: string): Promise<void> {
    await take(this.perIp, ip);
  }

  async refundIp(ip: string): Promise<void> {
    await this.perIp.reward(ip, 1);
  }
}

async function take(limiter: RateLimiterPostgres, key: string): Promise<void> {
  try {
    await limiter.consume(key, 1);
  } catch (error) {
    if (!(error instanceof RateLimiterRes)) throw error;
    const retryAfterSeconds = Math.max(1, Math.ceil(error.msBeforeNext / 1000));
    throw new AuthException(
      'TOO_MANY_ATTEMPTS',
      `Too many failed sign-in attempts. Try again in ${retryAfterSeconds} seconds.`,
      { retryAfterSeconds },
    );
  }
}
