import { Global, Module } from '@nestjs/common';
import { AppConfig } from './configuration.js';

export const APP_CONFIG = Symbol('APP_CONFIG');

/** Provides the configuration object that main.ts (or a test) read and validated once. */
@Global()
@Module({})
export class ConfigModule {
  static forRoot(config: AppConfig) {
    return {
      module: ConfigModule,
      providers: [{ provide: APP_CONFIG, useValue: config }],
      exports: [APP_CONFIG],
    };
  }
}
