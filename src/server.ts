import 'reflect-metadata';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { Logger } from 'nestjs-pino';
import { DataSource } from 'typeorm';
import { AppModule } from './app.module.js';
import { configureApp } from './bootstrap.js';
import type { AppConfig } from './config/configuration.js';

/** Signals that stop the service gracefully. SIGUSR2 (nodemon, log tools) is not one of them. */
const STOP_SIGNALS = ['SIGTERM', 'SIGINT', 'SIGHUP'] as const;
/** In-flight requests get this long after a stop signal; then their connections are cut. */
const SHUTDOWN_GRACE_MS = 20_000;

export interface ServerOptions {
  config: AppConfig;
  databaseUrl: string;
  onShutdown?: () => Promise<void>;
}

/** Starts the Nest app and listens; returns the port it is bound to. */
export async function startServer({ config, databaseUrl, onShutdown }: ServerOptions) {
  const app = await NestFactory.create<NestExpressApplication>(
    AppModule.forRoot({ config, databaseUrl, onShutdown }),
    // abortOnError: false hands a failed start to main's catch instead of process.abort().
    { bufferLogs: true, abortOnError: false },
  );
  app.useLogger(app.get(Logger));
  configureApp(app, config);
  await app.listen(config.http.port, config.http.host);
  stopGracefullyOnSignals(app);
  return (app.getHttpServer().address() as AddressInfo).port;
}

/**
 * A stop signal closes the listening socket at once (new connections are refused), lets the
 * requests in flight finish, then closes the database pool and exits 0.
 */
function stopGracefullyOnSignals(app: NestExpressApplication) {
  const logger = app.get(Logger);
  const server: Server = app.getHttpServer();
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.log(`${signal} received: finishing the requests in flight, then stopping`);
    // Stops accepting and closes idle keep-alive connections; Nest's app.close() below waits for
    // the busy ones to end before its shutdown hooks close the pool.
    server.close();
    // A keep-alive connection would hold the close up until it times out: close each one as
    // soon as its request is answered.
    const sweep = setInterval(() => server.closeIdleConnections(), 100);
    const cutOff = setTimeout(() => server.closeAllConnections(), SHUTDOWN_GRACE_MS);
    try {
      const dataSource = app.get(DataSource);
      await app.close();
      clearInterval(sweep);
      clearTimeout(cutOff);
      const poolClosed = !dataSource.isInitialized;
      process.stdout.write(
        `Gatehouse stopped (${signal}): requests finished, database pool ${poolClosed ? 'closed' : 'still open'}\n`,
      );
      process.exit(poolClosed ? 0 : 1);
    } catch (error) {
      process.stderr.write(`Gatehouse failed to stop cleanly: ${String((error as Error).stack)}\n`);
      process.exit(1);
    }
  };
  for (const signal of STOP_SIGNALS) process.on(signal, () => void stop(signal));
  process.on('SIGUSR2', () => logger.log('SIGUSR2 received and ignored; SIGTERM stops Gatehouse'));
}
