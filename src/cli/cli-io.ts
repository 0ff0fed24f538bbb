/** A stream a command writes to: the process's stdout or stderr, or a test's capture. */
export interface OutputStream {
  write(text: string): unknown;
  isTTY?: boolean;
  columns?: number;
  hasColors?: () => boolean;
}

/**
 * Where one run of `gatehouse` reads and writes, and the environment its configuration comes
 * from: the process's own in `bin`, a test's when it runs commands in its own process.
 */
export interface CliIo {
  stdout: OutputStream;
  stderr: OutputStream;
  stdin: AsyncIterable<Buffer | string>;
  /** The variables the service reads (docs/operations.md), as `process.env` holds them. */
  env: Record<string, string | undefined>;
}

export function processIo(): CliIo {
  return { stdout: process.stdout, stderr: process.stderr, stdin: process.stdin, env: process.env };
}
