import type { EntityManager } from 'typeorm';

/**
 * The manager, recording the SQL of each `query` sent through it in `statements` (repository
 * specs check that a refused call sends none).
 */
export function recordingManager(manager: EntityManager, statements: string[]): EntityManager {
  return new Proxy(manager, {
    get(target, property, receiver) {
      if (property !== 'query') return Reflect.get(target, property, receiver) as unknown;
      return (sql: string, values?: unknown[]) => {
        statements.push(sql);
        return target.query(sql, values);
      };
    },
  });
}
