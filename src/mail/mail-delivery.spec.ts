import { retryDelayMs } from './mail-delivery.service.js';

describe('retryDelayMs', () => {
  it('doubles from the base delay with each attempt', () => {
    expect([1, 2, 3, 4].map((attempts) => retryDelayMs(attempts, 60_000))).toEqual([
      60_000, 120_000, 240_000, 480_000,
    ]);
  });

  it('never waits more than an hour', () => {
    expect(retryDelayMs(12, 60_000)).toBe(3600_000);
    expect(retryDelayMs(1000, 60_000)).toBe(3600_000);
  });
});
