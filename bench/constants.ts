/** Shared by the runner and the servers it forks (importing server.ts would start a server). */
export const BENCH_TOKEN = 'bench-internal-token-0123456789abcdefghijklmnop';
export const BENCH_SECRET_KEY = 'bench-secret-key-0123456789abcdefghijklmnopqrstuvwxyz';
