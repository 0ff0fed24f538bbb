import { decodeUrl, findValueProblem, isStorableText } from './request-values.js';

describe('request values', () => {
  it('tells storable text from NUL and unpaired surrogates', () => {
    for (const good of ['', 'plain', 'Zürich 東京', '🎉 paired \ud83c\udf89', '\ufffd']) {
      expect(isStorableText(good)).toBe(true);
    }
    for (const bad of ['\0', 'a\0b', '\ud800', 'x\udc00', '\udc00\ud800', 'end\ud83c']) {
      expect(isStorableText(bad)).toBe(false);
    }
  });

  it('decodes URLs as querystring does, but not percent-encodings that are not UTF-8', () => {
    expect(decodeUrl('/a%20b?c=d+e&f=100%')).toBe('/a b?c=d e&f=100%');
    expect(decodeUrl('/x?e=%C3%BC')).toBe('/x?e=ü');
    expect(decodeUrl('/x?e=%00')).toBe('/x?e=\0');
    for (const bad of ['/%FF', '/%C0%80', '/%ED%A0%80', '/x?e=%E2%82']) {
      expect(decodeUrl(bad)).toBeUndefined();
    }
  });

  it('names the first unstorable string or key by its path', () => {
    const limits = { maxDepth: 32 };
    expect(findValueProblem({ a: [{ b: 'ok' }, { c: 'x\0' }] }, 'body', limits)?.message).toBe(
      'body.a[1].c contains a NUL character or an unpaired UTF-16 surrogate.',
    );
    const key = findValueProblem({ ['k\ud800']: 1 }, 'body', limits);
    expect(key?.code).toBe('INVALID_CHARACTERS');
    expect(key?.message).toContain('body.k\ufffd');
    expect(findValueProblem('\0', 'query', limits)?.code).toBe('INVALID_CHARACTERS');
    expect(findValueProblem({ a: [1, true, null, 'ok'] }, 'body', limits)).toBeUndefined();
  });

  it('refuses nesting past the limit without walking, or recursing, any deeper', () => {
    let deep: unknown = 1;
    for (let i = 0; i < 1_000_000; i++) deep = [deep];
    expect(findValueProblem(deep, 'body', { maxDepth: 32 })?.code).toBe('NESTED_TOO_DEEP');
    let ok: unknown = 'leaf';
    for (let i = 0; i < 32; i++) ok = { a: ok };
    expect(findValueProblem(ok, 'body', { maxDepth: 32 })).toBeUndefined();
    expect(findValueProblem({ a: ok }, 'body', { maxDepth: 32 })?.code).toBe('NESTED_TOO_DEEP');
  });

  it('applies string length and attribute count limits only when given', () => {
    const wide = Object.fromEntries(Array.from({ length: 3 }, (_, i) => [`k${i}`, i]));
    expect(findValueProblem(wide, 'body', { maxDepth: 4 })).toBeUndefined();
    expect(findValueProblem(wide, 'body', { maxDepth: 4, maxAttributes: 2 })?.code).toBe(
      'TOO_MANY_ATTRIBUTES',
    );
    expect(findValueProblem(['abc'], 'body', { maxDepth: 4, maxStringLength: 2 })?.code).toBe(
      'VALUE_TOO_LONG',
    );
    expect(findValueProblem({ abc: 1 }, 'body', { maxDepth: 4, maxStringLength: 2 })?.code).toBe(
      'VALUE_TOO_LONG',
    );
  });
});
