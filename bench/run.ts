/**
 * `npm run bench`: throughput and latency of the hot paths, on the embedded database by default
 * or on BENCH_DATABASE_URL (a PostgreSQL database this run may fill with rows). Not part of
 * `npm test`: speed is measured here, never asserted in a test.
 */
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';

const DURATION_SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 16);
const TOKEN = 'bench-internal-token-0123456789abcdefghijklmnop';
const PASSWORD = 'correct horse battery staple';

async function startServer() {
  const server = fork(fileURLToPath(new URL('./server.js', import.meta.url)), {
    env: process.env,
  });
  const url = await new Promise<string>((resolve, reject) => {
    server.once('message', (message: { url: string }) => resolve(message.url));
    server.once('exit', (code) => reject(new Error(`bench server exited with ${code}`)));
  });
  return { base: url.replace('[::1]', '127.0.0.1'), stop: () => server.disconnect() };
}

async function main() {
  const serverUrl = process.env.BENCH_DATABASE_URL;
  const { base, stop } = await startServer();
  const json = { 'content-type': 'application/json' };
  const auth = { authorization: `Bearer ${TOKEN}` };

  const slug = `bench-${Date.now()}`;
  await fetch(`${base}/api/workspaces`, {
    method: 'POST',
    headers: { ...json, ...auth },
    body: JSON.stringify({
      name: 'Bench',
      slug,
      firstAdmin: { email: `admin@${slug}.test`, password: PASSWORD },
    }),
  });
  for (let i = 0; i < 200; i++) {
    await fetch(`${base}/api/workspaces/${slug}/members`, {
      method: 'POST',
      headers: { ...json, ...auth },
      body: JSON.stringify({ email: `member${i}@${slug}.test` }),
    });
  }
  const login = await fetch(`${base}/auth/password/login`, {
    method: 'POST',
    headers: json,
    body: JSON.stringify({ workspace: slug, email: `admin@${slug}.test`, password: PASSWORD }),
  });
  const cookie = login.headers.getSetCookie()[0]!.split(';')[0]!;

  const scenarios: { name: string; options: autocannon.Options }[] = [
    { name: 'GET /health/live', options: { url: `${base}/health/live` } },
    {
      name: 'GET /auth/session (cookie)',
      options: { url: `${base}/auth/session`, headers: { cookie } },
    },
    {
      name: 'GET members page of 50 (admin session)',
      options: { url: `${base}/api/workspaces/${slug}/members?limit=50`, headers: { cookie } },
    },
    {
      name: 'GET members page of 50 (internal token)',
      options: { url: `${base}/api/workspaces/${slug}/members?limit=50`, headers: auth },
    },
    {
      name: 'POST /auth/password/login (argon2id)',
      options: {
        url: `${base}/auth/password/login`,
        method: 'POST',
        headers: json,
        body: JSON.stringify({ workspace: slug, email: `admin@${slug}.test`, password: PASSWORD }),
      },
    },
  ];

  console.log(
    `Gatehouse bench: ${serverUrl ? 'PostgreSQL server' : 'embedded PGlite'}, ` +
      `${CONNECTIONS} connections, ${DURATION_SECONDS} s each\n`,
  );
  console.log(
    'scenario'.padEnd(44),
    'req/s'.padStart(9),
    'p50 ms'.padStart(8),
    'p99 ms'.padStart(8),
    'non-2xx'.padStart(8),
  );
  for (const scenario of scenarios) {
    const result = await autocannon({
      ...scenario.options,
      connections: CONNECTIONS,
      duration: DURATION_SECONDS,
    });
    console.log(
      scenario.name.padEnd(44),
      result.requests.average.toFixed(0).padStart(9),
      result.latency.p50.toFixed(1).padStart(8),
      result.latency.p99.toFixed(1).padStart(8),
      String(result.non2xx + result.errors).padStart(8),
    );
  }
  stop();
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
