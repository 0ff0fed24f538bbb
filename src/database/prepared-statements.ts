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

/**
 * Runs prepared statements on TypeORM's own pg pool (one pool for the service, same size and
 * timeouts), without TypeORM's per-query work (a query runner, an entity manager and the
 * subscriber broadcasts of each call). Errors are TypeORM's QueryFailedError, as from
 * `dataSource.query()`, so the error mapping (503 when the database is away) is the same.
 */
@Injectable()
export class PreparedStatements {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  async rows<Row>(statement: PreparedStatement, values: unknown[]): Promise<Row[]> {
    const pool = (this.dataSource.driver as PostgresDriver).master as Pool;
    try {
      const result = await pool.query({ name: statement.name, text: statement.text, values });
      return result.rows as Row[];
    } catch (error) {
      throw new QueryFailedError(statement.text, values, error as Error);
    }
  }
}

/** PreparedStatements for every module. */
@Global()
@Module({ providers: [PreparedStatements], exports: [PreparedStatements] })
export class PreparedStatementsModule {}
