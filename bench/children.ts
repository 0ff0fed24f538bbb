/** The bench's server processes: forked children of the runner, one process tree. */
import { type ChildProcess, fork } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export interface BenchChild {
  url: string;
  cookieName?: string;
  process: ChildProcess;
  /** Resident set and its high-water mark (VmHWM), in MiB, from /proc. */
  memory(): { rssMiB: number; peakMiB: number };
  profile(path: string): Promise<() => Promise<void>>;
  stop(): Promise<void>;
}

export async function startChild(file: string, env: Record<string, string>): Promise<BenchChild> {
  const child = fork(fileURLToPath(new URL(file, import.meta.url)), {
    env: { ...process.env, ...env },
  });
  const ready = await new Promise<{ url: string; cookieName?: string }>((resolve, reject) => {
    const onMessage = (message: { type?: string; url: string; cookieName?: string }) => {
      if (message?.type !== 'ready') return;
      child.off('message', onMessage);
      resolve(message);
    };
    child.on('message', onMessage);
    child.once('exit', (code) => reject(new Error(`${file} exited with ${code}`)));
  });
  const reply = (type: string) =>
    new Promise<void>((resolve) => {
      const onMessage = (message: { type?: string }) => {
        if (message?.type !== type) return;
        child.off('message', onMessage);
        resolve();
      };
      child.on('message', onMessage);
    });
  return {
    url: ready.url.replace('[::1]', '127.0.0.1'),
    cookieName: ready.cookieName,
    process: child,
    memory() {
      const status = readFileSync(`/proc/${child.pid}/status`, 'utf8');
      const kib = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+)`, 'm').exec(status)?.[1]);
      return { rssMiB: kib('VmRSS') / 1024, peakMiB: kib('VmHWM') / 1024 };
    },
    async profile(path: string) {
      const started = reply('profile-started');
      child.send({ type: 'profile-start' });
      await started;
      return async () => {
        const stopped = reply('profile-stopped');
        child.send({ type: 'profile-stop', path });
        await stopped;
      };
    },
    stop: () =>
      new Promise<void>((resolve) => {
        child.once('exit', () => resolve());
        child.disconnect();
      }),
  };
}
