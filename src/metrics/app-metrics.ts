import type { NextFunction, Request, Response } from 'express';
import type { Pool } from 'pg';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { DataSource } from 'typeorm';
import { resultOf, scimResourceOf, signInMethodOf } from './request-labels.js';

/** A request no route matched: its URL is never a label (ids, tokens, unbounded values). */
const UNMATCHED = '(unmatched)';

/** The outbox backlog is counted up to this many rows: a scrape stays cheap whatever happens. */
export const OUTBOX_COUNT_LIMIT = 10_000;

/**
 * The service's Prometheus metrics, in a registry of its own (not prom-client's global one, so
 * that several apps in one process, as in the tests, each count their own).
 */
export class AppMetrics {
  readonly registry = new Registry();

  private readonly requests = new Counter({
    name: 'gatehouse_http_requests_total',
    help: 'HTTP requests answered, by method, route template and status.',
    labelNames: ['method', 'route', 'status'] as const,
    registers: [this.registry],
  });

  private readonly latency = new Histogram({
    name: 'gatehouse_http_request_duration_seconds',
    help: 'Time to answer an HTTP request, by method, route template and status.',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry],
  });

  private readonly signIns = new Counter({
    name: 'gatehouse_sign_ins_total',
    help: 'Sign-in attempts completed, by method (password, office365, oidc, saml) and result (success, failure, throttled, error).',
    labelNames: ['method', 'result'] as const,
    registers: [this.registry],
  });

  private readonly scimOperations = new Counter({
    name: 'gatehouse_scim_operations_total',
    help: 'SCIM requests, by HTTP method, resource and result (success, failure, throttled, error).',
    labelNames: ['method', 'resource', 'result'] as const,
    registers: [this.registry],
  });

  constructor(private readonly dataSource: DataSource) {
    const pool = () => this.pool();
    new Gauge({
      name: 'gatehouse_db_pool_connections_in_use',
      help: 'Database connections of the pool busy with a query or a transaction.',
      registers: [this.registry],
      collect() {
        const current = pool();
        if (current) this.set(current.totalCount - current.idleCount);
      },
    });
    new Gauge({
      name: 'gatehouse_db_pool_connections_idle',
      help: 'Database connections of the pool open and idle.',
      registers: [this.registry],
      collect() {
        const current = pool();
        if (current) this.set(current.idleCount);
      },
    });
    new Gauge({
      name: 'gatehouse_db_pool_waiting_requests',
      help: 'Queries waiting for a database connection of the pool.',
      registers: [this.registry],
      collect() {
        const current = pool();
        if (current) this.set(current.waitingCount);
      },
    });
    const pendingMail = () => this.pendingMail();
    new Gauge({
      name: 'gatehouse_mail_outbox_pending',
      help: `Mails waiting in the outbox to be delivered (counted up to ${OUTBOX_COUNT_LIMIT}).`,
      registers: [this.registry],
      async collect() {
        // The database down is for /health/ready to say; the other metrics are still served.
        try {
          this.set(await pendingMail());
        } catch {
          this.reset();
        }
      },
    });
  }

  /**
   * For an HTTP server: starts the process metrics (CPU, memory, event loop, GC: observers that
   * a CLI command has no use for) and returns the middleware that counts every request when it
   * is answered.
   */
  httpMiddleware(): (request: Request, response: Response, next: NextFunction) => void {
    collectDefaultMetrics({ register: this.registry, prefix: 'gatehouse_' });
    return (request, response, next) => {
      const started = process.hrtime.bigint();
      response.once('finish', () => {
        const seconds = Number(process.hrtime.bigint() - started) / 1e9;
        this.observe(request, response.statusCode, seconds);
      });
      next();
    };
  }

  private observe(request: Request, status: number, seconds: number): void {
    const path: unknown = (request.route as { path?: unknown } | undefined)?.path;
    const route = typeof path === 'string' ? path : UNMATCHED;
    const labels = { method: request.method, route, status: String(status) };
    this.requests.inc(labels);
    this.latency.observe(labels, seconds);
    if (route === UNMATCHED) return;
    const signInMethod = signInMethodOf(request.method, route);
    if (signInMethod) this.signIns.inc({ method: signInMethod, result: resultOf(status) });
    const resource = scimResourceOf(route);
    if (resource) {
      this.scimOperations.inc({ method: request.method, resource, result: resultOf(status) });
    }
  }

  /** TypeORM's pg pool, once the data source is up. */
  private pool(): Pool | undefined {
    if (!this.dataSource.isInitialized) return undefined;
    return (this.dataSource.driver as unknown as { master?: Pool }).master;
  }

  private async pendingMail(): Promise<number> {
    const rows: { pending: number }[] = await this.dataSource.query(
      `SELECT count(*)::int AS pending
         FROM (SELECT 1 FROM mail_outbox WHERE status = 'pending' LIMIT ${OUTBOX_COUNT_LIMIT}) AS due`,
    );
    return rows[0]?.pending ?? 0;
  }
}
