import type { EntityManager } from 'typeorm';
import type { PreparedStatements, RowSource } from '../../database/prepared-statements.js';

/**
 * Where a repository method runs its SQL: the caller's transaction (`tx` of
 * `dataSource.transaction`), or `dataSource.manager` for a read outside one. Every repository
 * method takes it first and the workspace id second: `repository.method(db, workspaceId, …)`.
 */
export type Db = EntityManager;

/** A repository was called without a workspace: a bug in the caller, never a client error. */
export class MissingWorkspaceError extends Error {
  constructor() {
    super('A workspace id is required: repository calls are scoped by workspace.');
    this.name = 'MissingWorkspaceError';
  }
}

/**
 * The workspace id a repository method scopes its SQL by; refuses an empty or missing one before
 * any SQL runs (a forgotten id must fail, never read or write another workspace's rows).
 */
export function scoped(workspaceId: string | null | undefined): string {
  if (typeof workspaceId !== 'string' || workspaceId.length === 0)
    throw new MissingWorkspaceError();
  return workspaceId;
}

/**
 * A written row's new lastModified (`updated_at`): never earlier than the last one. It is what
 * the row shows, not its version: now() is the transaction's start, which may precede a write
 * that waited for a lock, so a clock cannot tell two versions apart.
 */
export const TOUCHED_AT = 'greatest(clock_timestamp(), updated_at)';

/** Rows of an UPDATE/DELETE ... RETURNING: TypeORM's postgres driver answers [rows, count]. */
export async function returning<Row>(db: Db, sql: string, values: unknown[]): Promise<Row[]> {
  const [rows] = await db.query<[Row[], number]>(sql, values);
  return rows;
}

/** The number of rows an UPDATE/DELETE without RETURNING changed. */
export async function affected(db: Db, sql: string, values: unknown[]): Promise<number> {
  const [, count] = await db.query<[unknown[], number]>(sql, values);
  return count;
}

/**
 * Refuses `db` when it is a transaction: a read that runs on its own pool connection (a SCIM
 * list page) would not see that transaction's rows.
 */
export function outsideTransaction(db: Db): void {
  if (db.queryRunner?.isTransactionActive) {
    throw new Error('This read runs outside a transaction: pass dataSource.manager.');
  }
}

/**
 * Where a hot read runs: on a transaction's (or query runner's) connection when `db` has one,
 * since the read must see that transaction's rows; otherwise through PreparedStatements, which
 * names its text so each connection plans it once (see `statementFor`).
 */
export function readSource(db: Db, statements: PreparedStatements): RowSource {
  return db.queryRunner ? db : statements.built;
}
