import { linkSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';
import { DatabaseUnreachableError } from './database-connection-check.js';

export interface EmbeddedPostgres {
  /** A postgres:// URL for the ordinary `pg` driver; one connection at a time. */
  url: string;
  stop(): Promise<void>;
}

/**
 * Boots PGlite (PostgreSQL compiled to WASM) and serves it on a loopback port so TypeORM's
 * `postgres` driver talks to it like to any server. `dataDir` undefined keeps it in memory.
 */
export async function startEmbeddedPostgres(dataDir?: string): Promise<EmbeddedPostgres> {
  let db: PGlite;
  let unlock: (() => void) | undefined;
  if (dataDir) {
    const dir = resolve(dataDir, 'pglite');
    mkdirSync(dir, { recursive: true });
    unlock = lockDataDir(dir);
    db = await PGlite.create(dir);
  } else {
    db = await PGlite.create();
  }
  const server = new PGLiteSocketServer({ db, host: '127.0.0.1', port: 0, maxConnections: 1 });
  await server.start();
  return {
    url: `postgres://postgres@${server.getServerConn()}/postgres?sslmode=disable`,
    async stop() {
      await server.stop();
      await db.close();
      unlock?.();
    },
  };
}

/**
 * One process at a time on a data directory (the service, or the CLI): PGlite takes no lock of
 * its own, and two processes writing the same files would corrupt them. A lock left by a process
 * that has died is taken over.
 */
function lockDataDir(dir: string): () => void {
  const lockFile = `${dir}.lock`;
  // Written aside, then linked into place: the lock never exists without its pid.
  const candidate = `${lockFile}.${process.pid}`;
  writeFileSync(candidate, String(process.pid));
  try {
    for (;;) {
      try {
        linkSync(candidate, lockFile);
        return () => rmSync(lockFile, { force: true });
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      }
      const holder = lockHolder(lockFile);
      if (isRunning(holder)) {
        throw new DatabaseUnreachableError(
          `DATA_DIR: the embedded database in ${dir} is in use by process ${holder} (PGlite serves one process at a time: stop it first, or remove ${lockFile} if that process is not Gatehouse).`,
        );
      }
      rmSync(lockFile, { force: true });
    }
  } finally {
    rmSync(candidate, { force: true });
  }
}

/** The pid in a lock file; NaN when it has just been removed. */
function lockHolder(lockFile: string): number {
  try {
    return Number(readFileSync(lockFile, 'utf8').trim());
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return Number.NaN;
    throw error;
  }
}

function isRunning(pid: number): boolean {
  // A container restarted on the same volume may give this process the pid of the old one.
  if (!Number.isInteger(pid) || pid <= 0 || pid === process.pid) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
