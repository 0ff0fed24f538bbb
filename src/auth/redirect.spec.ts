import { safeRedirect } from './redirect.js';

const frontend = 'https://app.example.com';

describe('safeRedirect', () => {
  it.each([
    ['/projects/42?tab=members', 'https://app.example.com/projects/42?tab=members'],
    ['https://app.example.com/settings', 'https://app.example.com/settings'],
    ['settings', 'https://app.example.com/settings'],
    // Scheme-relative to the https frontend: a path on it, never another host.
    ['https:evil.example.net', 'https://app.example.com/evil.example.net'],
  ])('keeps %s on the frontend', (target, expected) => {
    expect(safeRedirect(target, frontend)).toBe(expected);
  });

  it.each([
    [undefined],
    [null],
    [''],
    ['https://evil.example.net/'],
    ['//evil.example.net/path'],
    ['/\\evil.example.net'],
    ['http://app.example.com/downgraded'],
    ['https://app.example.com.evil.net/'],
    ['https://user:pass@app.example.com/'],
    ['javascript:alert(1)'],
    ['data:text/html,hi'],
    [`/${'a'.repeat(3000)}`],
  ])('sends %s home instead', (target) => {
    expect(safeRedirect(target, frontend)).toBe('https://app.example.com/');
  });
});
