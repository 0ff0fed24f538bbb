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
