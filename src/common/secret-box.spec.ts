import { SecretBox } from './secret-box.js';

describe('SecretBox', () => {
  const box = new SecretBox('k'.repeat(40), 'purpose-a');

  it('opens what it sealed, with a fresh IV each time', () => {
    const a = box.seal('private key');
    const b = box.seal('private key');
    expect(a).not.toBe(b);
    expect(box.open(a)).toBe('private key');
  });

  it('refuses tampered boxes, other purposes and other keys', () => {
    const sealed = box.seal('private key');
    const bytes = Buffer.from(sealed, 'base64url');
    bytes[bytes.length - 1]! ^= 1;
    expect(box.open(bytes.toString('base64url'))).toBeNull();
    expect(new SecretBox('k'.repeat(40), 'purpose-b').open(sealed)).toBeNull();
    expect(new SecretBox('j'.repeat(40), 'purpose-a').open(sealed)).toBeNull();
    expect(box.open('short')).toBeNull();
  });
});

describe('SecretBox during a SECRET_KEY rotation', () => {
  const oldKey = 'o'.repeat(40);
  const newKey = 'n'.repeat(40);
  const before = new SecretBox(oldKey, 'purpose-a');
  const during = new SecretBox(newKey, 'purpose-a', [oldKey]);
  const after = new SecretBox(newKey, 'purpose-a');

  it('opens values sealed under a previous key and says so', () => {
    const sealed = before.seal('client secret');
    expect(during.open(sealed)).toBe('client secret');
    expect(during.openWithKey(sealed)).toEqual({ plaintext: 'client secret', current: false });
    expect(after.open(sealed)).toBeNull();
  });

  it('seals with the current key only', () => {
    const sealed = during.seal('client secret');
    expect(during.openWithKey(sealed)).toEqual({ plaintext: 'client secret', current: true });
    expect(after.open(sealed)).toBe('client secret');
    expect(before.open(sealed)).toBeNull();
  });

  it('reseals a previous key’s value under the current key, leaves current ones, refuses others', () => {
    const resealed = during.reseal(before.seal('webhook secret'));
    expect(resealed?.changed).toBe(true);
    expect(after.open(resealed!.sealed)).toBe('webhook secret');
    const current = during.seal('webhook secret');
    expect(during.reseal(current)).toEqual({ sealed: current, changed: false });
    expect(during.reseal(new SecretBox('x'.repeat(40), 'purpose-a').seal('other'))).toBeNull();
    expect(new SecretBox(newKey, 'purpose-b', [oldKey]).open(before.seal('x'))).toBeNull();
  });

  it('refuses a tampered value under every key', () => {
    const bytes = Buffer.from(before.seal('client secret'), 'base64url');
    bytes[20]! ^= 1;
    expect(during.open(bytes.toString('base64url'))).toBeNull();
  });
});
