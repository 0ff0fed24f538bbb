import { type DynamicModule, Global, Module } from '@nestjs/common';
import type { DestinationStream } from 'pino';
import type { AppConfig } from '../config/configuration.js';
import { AppLogger } from './app-logger.js';
import { createLogger, type Logger } from './logger.js';

/** The service's pino logger, for the request log and for code that logs objects. */
export const ROOT_LOGGER = Symbol('ROOT_LOGGER');

/** Provides the pino logger and AppLogger, the LoggerService main.ts hands to Nest. */
@Global()
@Module({})
export class LoggingModule {
  static forRoot(config: AppConfig, destination?: DestinationStream): DynamicModule {
    return {
      module: LoggingModule,
      providers: [
        { provide: ROOT_LOGGER, useFactory: () => createLogger(config, destination) },
        {
          provide: AppLogger,
          useFactory: (logger: Logger) => new AppLogger(logger),
          inject: [ROOT_LOGGER],
        },
      ],
      exports: [ROOT_LOGGER, AppLogger],
    };
  }
}
