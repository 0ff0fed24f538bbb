import pino, { type DestinationStream, type Logger } from 'pino';
import type { AppConfig } from '../config/configuration.js';
import { REDACT_PATHS, REDACTED } from './redaction.js';
import { currentRequest, requestFields } from './request-context.js';

export type { Logger } from 'pino';

/**
 * The service's pino logger: JSON lines on stdout (human-readable with pino-pretty in
 * development on a terminal), each line written while serving a request carrying its id,
 * route and workspace, and secrets redacted from logged objects.
 */
export async function createLogger(
  config: Pick<AppConfig, 'logLevel' | 'nodeEnv'>,
  destination?: DestinationStream,
): Promise<Logger> {
  return pino(
    {
      level: config.logLevel,
      redact: { paths: REDACT_PATHS, censor: REDACTED },
      mixin: () => {
        const request = currentRequest();
        return request ? requestFields(request) : {};
      },
    },
    destination ?? (await defaultDestination(config)),
  );
}

async function defaultDestination(
  config: Pick<AppConfig, 'logLevel' | 'nodeEnv'>,
): Promise<DestinationStream> {
  const pretty = config.nodeEnv === 'development' && process.stdout.isTTY;
  if (pretty && config.logLevel !== 'silent') {
    // Loaded only here: a production start does not load it.
    const { default: pinoPretty } = await import('pino-pretty');
    return pinoPretty({ sync: true, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname' });
  }
  return pino.destination({ dest: 1, sync: true });
}
