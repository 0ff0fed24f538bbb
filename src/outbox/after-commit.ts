import type {
  DataSource,
  EntityManager,
  EntitySubscriberInterface,
  QueryRunner,
  TransactionCommitEvent,
  TransactionRollbackEvent,
} from 'typeorm';

/**
 * Runs a callback once the transaction of `tx` has committed (at once outside a transaction),
 * never after a rollback: an outbox asks its delivery loop for a pass only when its rows are
 * there to be claimed.
 */
export class AfterCommit implements EntitySubscriberInterface {
  /** Transactions that asked and have not ended yet. */
  private readonly waiting = new WeakMap<QueryRunner, Set<() => void>>();

  constructor(dataSource: DataSource) {
    // Told of every commit and rollback of the data source.
    dataSource.subscribers.push(this);
  }

  run(tx: EntityManager, callback: () => void): void {
    const runner = tx.queryRunner;
    if (!runner?.isTransactionActive) {
      callback();
      return;
    }
    const callbacks = this.waiting.get(runner) ?? new Set();
    callbacks.add(callback);
    this.waiting.set(runner, callbacks);
  }

  afterTransactionCommit({ queryRunner }: TransactionCommitEvent): void {
    // A released savepoint is not a commit yet.
    if (queryRunner.isTransactionActive) return;
    const callbacks = this.waiting.get(queryRunner);
    if (!callbacks) return;
    this.waiting.delete(queryRunner);
    for (const callback of callbacks) callback();
  }

  afterTransactionRollback({ queryRunner }: TransactionRollbackEvent): void {
    if (!queryRunner.isTransactionActive) this.waiting.delete(queryRunner);
  }
}
