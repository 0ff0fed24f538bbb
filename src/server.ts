import 'reflect-metadata';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { DataSource } from 'typeorm';
import { AppModule } from './app.module.js';
import { configureApp } from './bootstrap.js';
import type { AppConfig } from './config/configuration.js';
import { AppLogger } from './logging/app-logger.js';
import type { NextFunction, Request, Response } from 'express';

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
  app.useLogger(app.get(AppLogger));
  configureApp(app, config);
  const readiness = readinessGate(app);
  await app.listen(config.http.port, config.http.host);
  stopGracefullyOnSignals(app, readiness, config.http.shutdownDrainMs);
  return (app.getHttpServer().address() as AddressInfo).port;
}

/**
 * Once a stop signal came, `GET /health/ready` answers 503 SHUTTING_DOWN, so that a load
 * balancer checking it sends no more requests here while the listener is still open.
 */
function readinessGate(app: NestExpressApplication): { stopping: boolean } {
  const readiness = { stopping: false };
  app.use('/health/ready', (_request: Request, response: Response, next: NextFunction) => {
    if (!readiness.stopping) return next();
    response.status(503).json({
      statusCode: 503,
      code: 'SHUTTING_DOWN',
      message: 'Gatehouse is stopping: it finishes the requests in flight and takes no new ones.',
    });
  });
  return readiness;
}

/**
 * A stop signal fails the readiness check; after `drainMs` (0: at once) — time for a load
 * balancer to see that and stop sending requests here — it closes the listening socket (new
 * connections are refused), lets the requests in flight finish, then closes the database pool
 * and exits 0. Closing the listener while a balancer still sends requests would reset the
 * connections waiting to be accepted: their requests would fail though nothing had run.
 */
function stopGracefullyOnSignals(
  app: NestExpressApplication,
  readiness: { stopping: boolean },
  drainMs: number,
) {
  const logger = app.get(AppLogger);
  const server: Server = app.getHttpServer();
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    readiness.stopping = true;
    if (drainMs > 0) {
      logger.log(
        `${signal} received: /health/ready answers 503; serving ${drainMs} ms more, then finishing the requests in flight and stopping`,
      );
      await sleep(drainMs);
    } else {
      logger.log(`${signal} received: finishing the requests in flight, then stopping`);
    }
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
