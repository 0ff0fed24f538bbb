/** Load (autocannon) and one-at-a-time (unloaded) measurements. */
import autocannon from 'autocannon';

export const DURATION_SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
export const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 16);
const UNLOADED_REQUESTS = Number(process.env.BENCH_UNLOADED_REQUESTS ?? 200);

export interface Loaded {
  rps: number;
  p50: number;
  p99: number;
  ok: number;
  failed: number;
}

export interface LoadRequest {
  method?: 'GET' | 'POST';
  headers?: Record<string, string>;
  /** Send this many requests instead of loading for DURATION_SECONDS. */
  amount?: number;
  /** Count 3xx answers as successes too (a sign-in answers 302). */
  redirectsOk?: boolean;
  /** A fresh path (and body) per request. */
  next: () => { path: string; body?: string };
}

/** CONNECTIONS clients for DURATION_SECONDS; throughput counts 2xx answers only. */
export async function loaded(base: string, request: LoadRequest): Promise<Loaded> {
  const started = performance.now();
  const result = await autocannon({
    url: base,
    connections: CONNECTIONS,
    ...(request.amount ? { amount: request.amount } : { duration: DURATION_SECONDS }),
    method: request.method ?? 'GET',
    headers: request.headers,
    requests: [
      {
        setupRequest: (req) => {
          const { path, body } = request.next();
          return { ...req, path, ...(body === undefined ? {} : { body }) };
        },
      },
    ],
  });
  const seconds = request.amount ? (performance.now() - started) / 1000 : DURATION_SECONDS;
  const ok = result['2xx'] + (request.redirectsOk ? result['3xx'] : 0);
  return {
    rps: ok / seconds,
    p50: result.latency.p50,
    p99: result.latency.p99,
    ok,
    failed:
      result.non2xx - (request.redirectsOk ? result['3xx'] : 0) + result.errors + result.timeouts,
  };
}

/** UNLOADED_REQUESTS requests one after the other; the median latency in ms. */
export async function unloadedP50(base: string, request: LoadRequest): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < UNLOADED_REQUESTS; i++) {
    const { path, body } = request.next();
    const started = performance.now();
    const res = await fetch(base + path, {
      method: request.method ?? 'GET',
      headers: request.headers,
      body,
    });
    await res.arrayBuffer();
    if (!res.ok) throw new Error(`${path}: ${res.status}`);
    times.push(performance.now() - started);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)]!;
}

export async function call(url: string, init: RequestInit, expected: number) {
  const res = await fetch(url, init);
  const text = await res.text();
  if (res.status !== expected) {
    throw new Error(`${init.method ?? 'GET'} ${url}: ${res.status} ${text.slice(0, 300)}`);
  }
  return text ? (JSON.parse(text) as Record<string, unknown>) : {};
}
