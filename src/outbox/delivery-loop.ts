import type { Logger } from '@nestjs/common';

/** How long a nudge waits, so a burst of commits is delivered in one pass. */
const SOON_MS = 20;

export interface DeliveryLoopOptions {
  logger: Logger;
  /** What is delivered, for the log ("Mail", "Webhook"). */
  what: string;
  batchSize: number;
  pollIntervalMs: number;
  /** Claims due rows and delivers them; resolves with how many it handled. */
  pass: () => Promise<number>;
}

/**
 * The schedule of an outbox's delivery loop: every poll interval, or soon after a nudge (a
 * transaction that wrote rows committed), one pass; passes run one after another; a full batch
 * is followed by another pass at once. Stopping waits for the pass under way.
 */
export class DeliveryLoop {
  private timer: NodeJS.Timeout | undefined;
  private timerDueAt = Infinity;
  private stopped = true;
  /** Passes run one after another; this is the latest one queued. */
  private passes: Promise<number> = Promise.resolve(0);

  constructor(private readonly options: DeliveryLoopOptions) {}

  start(): void {
    this.stopped = false;
    this.schedule(0);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    this.timer = undefined;
    await this.passes;
  }

  /** Asks for a pass shortly. */
  deliverSoon(): void {
    this.schedule(SOON_MS);
  }

  /** Runs one pass after any pass already running; resolves with the number of rows it handled. */
  deliverDue(): Promise<number> {
    this.passes = this.passes.then(() => this.pass());
    return this.passes;
  }

  private schedule(delayMs: number): void {
    if (this.stopped || this.timerDueAt <= Date.now() + delayMs) return;
    clearTimeout(this.timer);
    this.timerDueAt = Date.now() + delayMs;
    this.timer = setTimeout(() => void this.tick(), delayMs);
    this.timer.unref();
  }

  private async tick(): Promise<void> {
    this.timer = undefined;
    this.timerDueAt = Infinity;
    const handled = await this.deliverDue();
    // A full batch: more may be due right now.
    this.schedule(handled === this.options.batchSize ? 0 : this.options.pollIntervalMs);
  }

  private async pass(): Promise<number> {
    try {
      return await this.options.pass();
    } catch (error) {
      this.options.logger.error(`${this.options.what} delivery pass failed: ${describe(error)}`);
      return 0;
    }
  }
}

export function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
