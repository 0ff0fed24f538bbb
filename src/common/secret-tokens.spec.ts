import { safeEqualAny, tokenDigest, tokenDigests } from './secret-tokens.js';

describe('tokenDigests', () => {
  const current = 'n'.repeat(40);
  const previous = ['o'.repeat(40), 'p'.repeat(40)];

  it('is the digest under the current key first, then under each previous key', () => {
    const digests = tokenDigests({ secretKey: current, previousSecretKeys: previous }, 'tok');
    expect(digests).toEqual([
      tokenDigest(current, 'tok'),
      tokenDigest(previous[0]!, 'tok'),
      tokenDigest(previous[1]!, 'tok'),
    ]);
    expect(new Set(digests).size).toBe(3);
  });

  it('is the current digest alone without a rotation', () => {
    expect(tokenDigests({ secretKey: current, previousSecretKeys: [] }, 'tok')).toEqual([
      tokenDigest(current, 'tok'),
    ]);
  });
});

describe('safeEqualAny', () => {
  it('accepts any of the values and nothing else', () => {
    const accepted = ['a'.repeat(32), 'b'.repeat(32)];
    expect(safeEqualAny('a'.repeat(32), accepted)).toBe(true);
    expect(safeEqualAny('b'.repeat(32), accepted)).toBe(true);
    expect(safeEqualAny('c'.repeat(32), accepted)).toBe(false);
    expect(safeEqualAny('a'.repeat(31), accepted)).toBe(false);
    expect(safeEqualAny('a', [])).toBe(false);
  });
});
