import { spawn, type ChildProcess } from 'node:child_process';
import { resolve } from 'node:path';

export const INTERNAL_TOKEN = 'test-internal-token-0123456789abcdefghijklmnop';

/** The built entry point `npm start` runs (the tests need `npm run build` first). */
export const MAIN_JS = resolve('dist/src/main.js');

/** The environment of a spawned server: nothing inherited but PATH. */
export function serverEnv(env: Record<string, string>): Record<string, string> {
  return {
    PATH: process.env.PATH ?? '',
    NODE_ENV: 'test',
    HOST: '127.0.0.1',
    PORT: '0',
    LOG_LEVEL: 'warn',
    INTERNAL_API_TOKEN: INTERNAL_TOKEN,
    SECRET_KEY: 'test-secret-key-0123456789abcdefghijklmnopqrstuv',
    MIGRATE_ON_START: 'false',
    ...env,
  };
}

export interface ProcessResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  elapsedMs: number;
}

/** Runs the server until it exits (or `timeoutMs` passes, then kills it). */
export function runServerToExit(env: Record<string, string>, timeoutMs = 20_000) {
  const started = Date.now();
  const child = spawn(process.execPath, [MAIN_JS], { env: serverEnv(env) });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const killer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  return new Promise<ProcessResult>((done) => {
    child.on('exit', (code, signal) => {
      clearTimeout(killer);
      // Let the pipes drain.
      setTimeout(() => done({ code, signal, stdout, stderr, elapsedMs: Date.now() - started }), 50);
    });
  });
}

export interface RunningServer {
  child: ChildProcess;
  port: number;
  baseUrl: string;
  output(): { stdout: string; stderr: string };
  /** Resolves when the process has exited. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  kill(): void;
}

/** Starts the server and waits until it says where it listens. */
export async function startServerProcess(
  env: Record<string, string>,
  timeoutMs = 30_000,
): Promise<RunningServer> {
  const child = spawn(process.execPath, [MAIN_JS], { env: serverEnv(env) });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((done) =>
    child.on('exit', (code, signal) => setTimeout(() => done({ code, signal }), 50)),
  );
  const port = await new Promise<number>((resolvePort, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`no start in ${timeoutMs} ms:\n${stderr}`)),
      timeoutMs,
    );
    const onData = () => {
      const match = /bound to [^\s]+:(\d+)\)/.exec(stdout);
      if (!match) return;
      clearTimeout(timer);
      child.stdout.off('data', onData);
      resolvePort(Number(match[1]));
    };
    child.stdout.on('data', onData);
    void exited.then(() => {
      clearTimeout(timer);
      reject(new Error(`the server exited during start:\n${stdout}\n${stderr}`));
    });
  });
  return {
    child,
    port,
    baseUrl: `http://127.0.0.1:${port}`,
    output: () => ({ stdout, stderr }),
    exited,
    kill: () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    },
  };
}
