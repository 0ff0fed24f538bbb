import { readFile } from 'node:fs/promises';
import { InvalidArgumentError } from 'commander';
import { AppException } from '../common/app-exception.js';
import { CliError, ExitCode, usageError } from './exit-codes.js';

/** `on`/`off` (or true/false, yes/no) for a switch. */
export function onOff(value: string): boolean {
  const normalized = value.toLowerCase();
  if (['on', 'true', 'yes'].includes(normalized)) return true;
  if (['off', 'false', 'no'].includes(normalized)) return false;
  throw new InvalidArgumentError('Use on or off.');
}

const UNIT_SECONDS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86_400 };

/** Seconds, or a number with a unit: `3600`, `90m`, `12h`, `30d`. */
export function duration(value: string): number {
  const match = /^(\d{1,9})([smhd]?)$/.exec(value.trim());
  if (!match) throw new InvalidArgumentError('Use seconds, or a number with s, m, h or d (30d).');
  return Number(match[1]) * (UNIT_SECONDS[match[2] || 's'] ?? 1);
}

/** A duration, or `off` for none (not null: commander turns a null option value into ''). */
export function durationOrOff(value: string): number | 'off' {
  return value.toLowerCase() === 'off' ? 'off' : duration(value);
}

/**
 * Checks `value` with the admin API's DTO and its rules (the same pipe as every request), so the
 * CLI accepts exactly what the API accepts. `optionOf` names the option behind each field.
 */
export async function validated<T extends object>(
  metatype: new () => T,
  value: object,
  optionOf: Record<string, string> = {},
): Promise<T> {
  const { createValidationPipe } = await import('../common/validation.js');
  try {
    return (await createValidationPipe().transform(value, { type: 'body', metatype })) as T;
  } catch (error) {
    if (!(error instanceof AppException) || error.code !== 'VALIDATION_FAILED') throw error;
    const errors = (error.details?.errors ?? []) as { field: string; messages: string[] }[];
    const problems = errors.map(
      ({ field, messages }) => `${optionOf[field] ?? field}: ${messages.join(', ')}`,
    );
    throw new CliError(
      'VALIDATION_FAILED',
      `Invalid input. ${problems.join('; ')}`,
      ExitCode.USAGE,
      { errors },
    );
  }
}

/** A file's text, or standard input for `-`. */
export async function readInputFile(
  path: string,
  what: string,
  stdin: AsyncIterable<Buffer | string>,
): Promise<string> {
  if (path === '-') return readStdin(stdin);
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
    throw usageError(`Cannot read the ${what} file ${path} (${reason}).`);
  }
}

export async function readStdin(stdin: AsyncIterable<Buffer | string>): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stdin) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk));
  return Buffer.concat(chunks).toString('utf8');
}
