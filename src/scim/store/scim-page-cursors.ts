/**
 * Where recently served list pages ended, so that the page a client asks for next can seek
 * past that key in the order's index instead of skipping `startIndex - 1` entries of it.
 *
 * Per process, small and short-lived: a least-recently-used map of a few thousand entries that
 * expire after a couple of minutes. Instances behind a load balancer each keep their own; a
 * request that lands elsewhere, comes late, or jumps (`startIndex` not where a page ended)
 * simply misses and is served by OFFSET, with the same answer when nothing changed meanwhile.
 */
export class PageCursors {
  private readonly entries = new Map<string, { seek: string[]; expires: number }>();

  constructor(
    private readonly capacity = 4096,
    private readonly ttlMs = 120_000,
    private readonly now: () => number = Date.now,
  ) {}

  /** The last key of the page that ended where `key` starts, if served recently here. */
  find(key: string): string[] | undefined {
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    this.entries.delete(key);
    if (entry.expires <= this.now()) return undefined;
    this.entries.set(key, entry);
    return entry.seek;
  }

  remember(key: string, seek: string[]): void {
    this.entries.delete(key);
    this.entries.set(key, { seek, expires: this.now() + this.ttlMs });
    if (this.entries.size > this.capacity) {
      this.entries.delete(this.entries.keys().next().value as string);
    }
  }

  get size(): number {
    return this.entries.size;
  }
}

/** The process's cursors, shared by every list of every workspace (the key names both). */
export const pageCursors = new PageCursors();
