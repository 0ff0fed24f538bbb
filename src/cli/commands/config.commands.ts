import type { Command } from 'commander';
import type { AppConfig } from '../../config/configuration.js';
import { describeDatabaseUrl } from '../../database/database-description.js';
import { show } from '../output.js';
import type { Runner } from '../program.js';

const HIDDEN = '***';

/** A URL with its password (userinfo or `?password=`) hidden. */
function withoutPassword(url: string | undefined): string | null {
  return url === undefined ? null : describeDatabaseUrl(url);
}

/** The configuration with every secret hidden; null for a secret that is not set. */
export function configWithSecretsHidden(
  config: AppConfig,
  env: Record<string, string | undefined>,
) {
  const set = (name: string) => (env[name] ? HIDDEN : null);
  return {
    ...config,
    database: { ...config.database, url: withoutPassword(config.database.url) },
    internalApiToken: config.internalApiTokenGenerated ? null : HIDDEN,
    previousInternalApiTokens: config.previousInternalApiTokens.map(() => HIDDEN),
    secretKey: set('SECRET_KEY'),
    previousSecretKeys: config.previousSecretKeys.map(() => HIDDEN),
    metrics: { token: config.metrics.token === undefined ? null : HIDDEN },
    office365: {
      ...config.office365,
      clientSecret: config.office365.clientSecret === undefined ? null : HIDDEN,
    },
    mail: { ...config.mail, smtpUrl: withoutPassword(config.mail.smtpUrl) },
  };
}

/** `a.b.c: value` lines of a nested object. */
function flatten(value: unknown, prefix = ''): string[] {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    return [`${prefix}: ${Array.isArray(value) ? value.join(',') || '-' : show(value)}`];
  }
  return Object.entries(value).flatMap(([key, inner]) =>
    flatten(inner, prefix ? `${prefix}.${key}` : key),
  );
}

export function registerConfigCommands(program: Command, run: Runner): void {
  program
    .command('config:show')
    .description('Print the configuration, secrets hidden')
    .action(
      run((session) => {
        const config = configWithSecretsHidden(session.config, session.io.env);
        return Promise.resolve({ data: config, text: flatten(config) });
      }),
    );
}
