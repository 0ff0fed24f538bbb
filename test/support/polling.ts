import { setTimeout as sleep } from 'node:timers/promises';

/**
 * Polls `check` every 50 ms until it holds (for work done in the background: a delivery loop,
 * a log written after the response, another process). Past `timeoutMs` it fails naming `what`.
 */
export async function waitFor(
  what: string,
  check: () => boolean | Promise<boolean>,
  timeoutMs = 10_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline)
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(50);
  }
}
