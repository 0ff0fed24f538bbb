import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

/** Debian's HAProxy (`apt-get install haproxy`, which `.ci/run` does). */
export const HAPROXY = process.env.HAPROXY_PATH ?? '/usr/sbin/haproxy';

export function haveHaproxy(): boolean {
  return existsSync(HAPROXY);
}

export interface Backend {
  name: string;
  port: number;
}

export interface HaproxyLayout {
  /** Where clients connect, e.g. `:8080` or `127.0.0.1:41000`. */
  bind: string;
  /** Where the statistics page listens (keep it private). */
  statsBind: string;
  /** The Gatehouse instances: name and `host:port`. */
  servers: { name: string; address: string }[];
}

/**
 * The load balancer of docs/operations.md ("Scaling out"), which shows it verbatim:
 * - a server takes traffic only once `GET /health/ready` answered 200 twice in a row, and leaves
 *   the rotation after two failed checks;
 * - a request is retried only when its connection to a server could not be made, so the request
 *   was never sent (`retry-on conn-failure`), each time on another server (`option redispatch 1`);
 *   a request that reached a server is never sent again, as it may have been applied;
 * - one connection to a server per request (`http-server-close`): a request is never written to
 *   a pooled connection the server is closing at that moment, which could not be retried safely;
 * - X-Forwarded-For is the connecting client's address, replacing whatever the client sent, as
 *   Gatehouse with TRUST_PROXY=true (one hop) reads the right-most address of that header.
 */
export function haproxyConfig(layout: HaproxyLayout): string {
  return `global
  maxconn 512
  log stderr format raw local0

defaults
  mode http
  log global
  option httplog
  timeout connect 2s
  timeout client 60s
  timeout server 60s
  timeout queue 10s
  timeout check 2s
  retries 3
  retry-on conn-failure
  option redispatch 1
  option http-server-close

frontend gatehouse
  bind ${layout.bind}
  http-request set-header X-Forwarded-For %[src]
  default_backend gatehouse

backend gatehouse
  balance roundrobin
  option httpchk
  http-check send meth GET uri /health/ready
  http-check expect status 200
  default-server check inter 300ms fall 2 rise 2
  # Which instance answered: the test reads it, and it helps when debugging.
  http-response set-header X-Served-By %[srv_name]
${layout.servers.map((server) => `  server ${server.name} ${server.address}`).join('\n')}

listen stats
  bind ${layout.statsBind}
  stats enable
  stats uri /stats
`;
}

/** A port nobody listens on right now. */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** One row of HAProxy's CSV statistics for a server of the `gatehouse` backend. */
export interface ServerStats {
  /** `UP`, `DOWN`, `UP 1/2` (going down), `DOWN 1/2` (coming up), `MAINT`, ... */
  status: string;
  /** Requests on their way to or at this server right now. */
  current: number;
}

export interface RunningHaproxy {
  url: string;
  /** HAProxy's log: one line per request (`option httplog`) plus its alerts. */
  log(): string;
  stats(): Promise<Map<string, ServerStats>>;
  /** Waits until every named server has the status (e.g. until all are `UP`). */
  waitForStatus(names: string[], status: string, timeoutMs?: number): Promise<void>;
  stop(): Promise<void>;
}

async function startOnce(backends: Backend[]): Promise<RunningHaproxy> {
  const port = await freePort();
  const statsPort = await freePort();
  const dir = await mkdtemp(join(tmpdir(), 'gatehouse-haproxy-'));
  const config = haproxyConfig({
    bind: `127.0.0.1:${port}`,
    statsBind: `127.0.0.1:${statsPort}`,
    servers: backends.map((b) => ({ name: b.name, address: `127.0.0.1:${b.port}` })),
  });
  const configPath = join(dir, 'haproxy.cfg');
  await writeFile(configPath, config);
  // -db: stay in the foreground, so the test owns the process.
  const child: ChildProcess = spawn(HAPROXY, ['-db', '-f', configPath], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let log = '';
  child.stdout!.on('data', (chunk: Buffer) => (log += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (log += chunk.toString()));
  const exited = new Promise<void>((done) => child.once('exit', () => done()));

  const statsUrl = `http://127.0.0.1:${statsPort}/stats;csv`;
  const stats = async (): Promise<Map<string, ServerStats>> => {
    const csv = await (await fetch(statsUrl)).text();
    const [header, ...lines] = csv.trim().split('\n');
    const columns = header!.replace(/^# /, '').split(',');
    const at = (cells: string[], name: string) => cells[columns.indexOf(name)] ?? '';
    const servers = new Map<string, ServerStats>();
    for (const line of lines) {
      const cells = line.split(',');
      if (at(cells, 'pxname') !== 'gatehouse' || at(cells, 'type') !== '2') continue;
      servers.set(at(cells, 'svname'), {
        status: at(cells, 'status'),
        current: Number(at(cells, 'scur')),
      });
    }
    return servers;
  };

  const running: RunningHaproxy = {
    url: `http://127.0.0.1:${port}`,
    log: () => log,
    stats,
    async waitForStatus(names, status, timeoutMs = 20_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const current = await stats().catch(() => new Map<string, ServerStats>());
        if (names.every((name) => current.get(name)?.status === status)) return;
        if (Date.now() > deadline) {
          const seen = names.map((name) => `${name}: ${current.get(name)?.status ?? '?'}`);
          throw new Error(`HAProxy: not all ${status} in ${timeoutMs} ms (${seen.join(', ')})`);
        }
        await sleep(100);
      }
    },
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
      await rm(dir, { recursive: true, force: true });
    },
  };

  // Listening once the stats page answers; a port taken meanwhile makes HAProxy exit instead.
  const deadline = Date.now() + 10_000;
  for (;;) {
    if (child.exitCode !== null) {
      await rm(dir, { recursive: true, force: true });
      throw new Error(`HAProxy exited at start:\n${log}`);
    }
    if (
      await stats().then(
        () => true,
        () => false,
      )
    )
      return running;
    if (Date.now() > deadline) {
      await running.stop();
      throw new Error(`HAProxy did not start in 10 s:\n${log}`);
    }
    await sleep(50);
  }
}

/** Starts HAProxy in front of the backends (a few tries: a free port can be taken meanwhile). */
export async function startHaproxy(backends: Backend[]): Promise<RunningHaproxy> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await startOnce(backends);
    } catch (error) {
      if (attempt >= 3) throw error;
    }
  }
}
