import { createHash } from 'node:crypto';
import { Global, Injectable, Module } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { Pool } from 'pg';
import { DataSource, QueryFailedError } from 'typeorm';
import type { PostgresDriver } from 'typeorm/driver/postgres/PostgresDriver.js';

/**
 * A statement of a hot path (every SCIM request, every session check), run by name: PostgreSQL
 * parses and plans it once per connection instead of once per request (the session check's
 * four-way join took longer to plan than to run). Its text must be fixed, with every value a
 * parameter: a name stands for one text, on every connection.
 */
export interface PreparedStatement {
  readonly name: string;
  readonly text: string;
}

/** A statement to run: named (planned once per connection) or not (parsed and planned per run). */
export interface Statement {
  readonly name?: string;
  readonly text: string;
}

const declared = new Map<string, string>();

/** Every prepared statement declared so far (the plan tests EXPLAIN each one). */
export function declaredStatements(): PreparedStatement[] {
  return [...declared].map(([name, text]) => ({ name, text }));
}

/** Declares a prepared statement; a name declared twice with two texts is a bug, caught at load. */
export function preparedStatement(name: string, text: string): PreparedStatement {
  const known = declared.get(name);
  if (known !== undefined && known !== text) {
    throw new Error(`Prepared statement ${name} is declared twice with different texts`);
  }
  declared.set(name, text);
  return { name, text };
}

/** How many texts built per request may be named in one process (see `statementFor`). */
export const MAX_BUILT_STATEMENTS = 200;

const built = new Map<string, string>();

/**
 * A statement whose text is built per request, such as a SCIM list's: its shape follows the
 * client's filter and order, its values are parameters. The few shapes identity providers
 * send (`userName eq`, `externalId eq`, a plain page) recur on every request, so each gets a
 * name and is planned once per connection; a process names at most MAX_BUILT_STATEMENTS texts,
 * and any text after that runs unnamed (parsed and planned each time, as every text did
 * before), so a client sending endless shapes fills neither this process nor PostgreSQL.
 */
export function statementFor(text: string): Statement {
  let name = built.get(text);
  if (name === undefined && built.size < MAX_BUILT_STATEMENTS) {
    name = `gatehouse_built_${createHash('sha256').update(text).digest('hex').slice(0, 32)}`;
    built.set(text, name);
  }
  return name === undefined ? { text } : { name, text };
}

/** The texts statementFor has named so far, with their names (the plan tests EXPLAIN them). */
export function builtStatements(): PreparedStatement[] {
  return [...built].map(([text, name]) => ({ name, text }));
}

/** Something that runs a statement and returns its rows, as `DataSource.query` does. */
export interface RowSource {
  query<Row>(text: string, values: unknown[]): Promise<Row>;
}

/**
 * Runs prepared statements on TypeORM's own pg pool (one pool for the service, same size and
 * timeouts), without TypeORM's per-query work (a query runner, an entity manager and the
 * subscriber broadcasts of each call). Errors are TypeORM's QueryFailedError, as from
 * `dataSource.query()`, so the error mapping (503 when the database is away) is the same.
 */
@Injectable()
export class PreparedStatements {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  async rows<Row>(statement: Statement, values: unknown[]): Promise<Row[]> {
    const pool = (this.dataSource.driver as PostgresDriver).master as Pool;
    try {
      const result = await pool.query({ name: statement.name, text: statement.text, values });
      return result.rows as Row[];
    } catch (error) {
      throw new QueryFailedError(statement.text, values, error as Error);
    }
  }

  /**
   * Runs each text it is given through statementFor: for reads whose text is built per request
   * and that run outside any transaction (on the pool, not on a transaction's connection).
   */
  readonly built: RowSource = {
    query: async <Row>(text: string, values: unknown[]) =>
      (await this.rows<unknown>(statementFor(text), values)) as Row,
  };
}

/** PreparedStatements for every module. */
@Global()
@Module({ providers: [PreparedStatements], exports: [PreparedStatements] })
export class PreparedStatementsModule {}
