import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { RateLimiterPostgres, RateLimiterRes } from 'rate-limiter-flexible';
import { DataSource } from 'typeorm';
import { APP_CONFIG } from '../config/config.module.js';
import type { AppConfig } from '../config/configuration.js';
import { AuthException } from './auth.errors.js';

/**
 * Counts failed sign-ins per account and per client IP in PostgreSQL (rate-limiter-flexible, table
 * `sign_in_failures` from the migrations), so every instance sees the same counts. Over the limit,
 * sign-in is refused with 429 until the window has passed, even with the right password.
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

  async assertAllowed(account: string, ip: string): Promise<void> {
    const [byAccount, byIp] = await Promise.all([this.perAccount.get(account), this.perIp.get(ip)]);
    const blocked = [
      [byAccount, this.perAccount.points],
      [byIp, this.perIp.points],
    ] as const;
    for (const [state, limit] of blocked) {
      if (state && state.consumedPoints >= limit) {
        const retryAfterSeconds = Math.max(1, Math.ceil(state.msBeforeNext / 1000));
        throw new AuthException(
          'TOO_MANY_ATTEMPTS',
          `Too many failed sign-in attempts. Try again in ${retryAfterSeconds} seconds.`,
          { retryAfterSeconds },
        );
      }
    }
  }

  async recordFailure(account: string, ip: string): Promise<void> {
    await Promise.all([this.perAccount.penalty(account, 1), this.perIp.penalty(ip, 1)]).catch(
      (error: unknown) => {
        if (!(error instanceof RateLimiterRes)) throw error;
      },
    );
  }

  /** For sign-in paths without a password (SAML, OIDC): only the client IP is counted. */
  async assertIpAllowed(ip: string): Promise<void> {
    const state = await this.perIp.get(ip);
    if (state && state.consumedPoints >= this.perIp.points) {
      const retryAfterSeconds = Math.max(1, Math.ceil(state.msBeforeNext / 1000));
      throw new AuthException(
        'TOO_MANY_ATTEMPTS',
        `Too many failed sign-in attempts. Try again in ${retryAfterSeconds} seconds.`,
        { retryAfterSeconds },
      );
    }
  }

  async recordIpFailure(ip: string): Promise<void> {
    await this.perIp.penalty(ip, 1);
  }

  async recordSuccess(account: string): Promise<void> {
    await this.perAccount.delete(account);
  }
}
