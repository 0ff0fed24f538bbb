import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';

/** What opening a sealed value found: its plaintext, and whether the current key sealed it. */
export interface Opened {
  plaintext: string;
  /** False: sealed under a previous key (SECRET_KEY_PREVIOUS); `reseal` brings it to the current. */
  current: boolean;
}

/**
 * Authenticated encryption (AES-256-GCM) under a key derived from SECRET_KEY for one purpose,
 * so a value sealed for one use cannot be opened as another. Output: base64url(iv|tag|data).
 *
 * During a rotation the box also holds keys derived from the previous secret keys: it seals with
 * the current key only and opens with the current key, then each previous one (GCM's tag tells a
 * wrong key, so trying is safe).
 */
export class SecretBox {
  private readonly keys: Buffer[];

  constructor(secretKey: string, purpose: string, previousSecretKeys: readonly string[] = []) {
    this.keys = [secretKey, ...previousSecretKeys].map((key) =>
      Buffer.from(hkdfSync('sha256', key, 'gatehouse', purpose, 32)),
    );
  }

  seal(plaintext: string): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.keys[0]!, iv);
    const data = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return Buffer.concat([iv, cipher.getAuthTag(), data]).toString('base64url');
  }

  /** The plaintext, or null when the box was sealed by none of the keys for this purpose. */
  open(sealed: string): string | null {
    return this.openWithKey(sealed)?.plaintext ?? null;
  }

  /** The plaintext and whether the current key sealed it; null when no key opens it. */
  openWithKey(sealed: string): Opened | null {
    const raw = Buffer.from(sealed, 'base64url');
    if (raw.length < 28) return null;
    for (const [i, key] of this.keys.entries()) {
      const plaintext = openWith(key, raw);
      if (plaintext !== null) return { plaintext, current: i === 0 };
    }
    return null;
  }

  /**
   * The value sealed under the current key: sealed again (`changed`) when a previous key sealed
   * it, as it is when the current key did; null when no key opens it.
   */
  reseal(sealed: string): { sealed: string; changed: boolean } | null {
    const opened = this.openWithKey(sealed);
    if (!opened) return null;
    return opened.current
      ? { sealed, changed: false }
      : { sealed: this.seal(opened.plaintext), changed: true };
  }
}

function openWith(key: Buffer, raw: Buffer): string | null {
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, raw.subarray(0, 12));
    decipher.setAuthTag(raw.subarray(12, 28));
    return Buffer.concat([decipher.update(raw.subarray(28)), decipher.final()]).toString('utf8');
  } catch {
    return null;
  }
}
