/**
 * What one request may carry. Node cuts a request head off at `socketHeadBytes`; Gatehouse
 * refuses anything above `headBytes` itself, so that the refusal carries the error body of the
 * API it was meant for.
 */
export const REQUEST_LIMITS = {
  /** Request line and headers, in bytes. */
  headBytes: 16 * 1024,
  socketHeadBytes: 64 * 1024,
  jsonBodyBytes: 5 * 1024 * 1024,
  formBodyBytes: 2 * 1024 * 1024,
  /** Objects and arrays inside one another; the body itself is level 1. */
  jsonDepth: 32,
} as const;
