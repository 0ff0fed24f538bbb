import { Injectable } from '@nestjs/common';
import { type Algorithm, hash, verify } from '@node-rs/argon2';

// The package's Algorithm is an ambient const enum, which isolatedModules cannot read.
const ARGON2ID = 2 as Algorithm.Argon2id;

export const PASSWORD_MIN_LENGTH = 10;
export const PASSWORD_MAX_LENGTH = 256;

/**
 * argon2id with OWASP's parameters (19 MiB, 2 passes, 1 lane) through @node-rs/argon2, a
 * maintained binding to the reference implementation shipped as prebuilt per-platform packages.
 */
@Injectable()
export class PasswordHasher {
  private readonly options = {
    algorithm: ARGON2ID,
    memoryCost: 19_456,
    timeCost: 2,
    parallelism: 1,
  } as const;
  /** Verified against when the account is unknown, so both answers take the same time. */
  private decoy: Promise<string> | undefined;

  hash(password: string): Promise<string> {
    return hash(password, this.options);
  }

  async verify(passwordHash: string | null | undefined, password: string): Promise<boolean> {
    if (!passwordHash) {
      this.decoy ??= this.hash('decoy password that never matches');
      await verify(await this.decoy, password);
      return false;
    }
    try {
      return await verify(passwordHash, password);
    } catch {
      return false;
    }
  }
}
