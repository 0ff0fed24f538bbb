import { PageCursors } from './scim-page-cursors.js';

describe('PageCursors', () => {
  let now = 0;
  const clock = () => now;
  beforeEach(() => {
    now = 1_000;
  });

  it('finds what it remembered, under that key only', () => {
    const cursors = new PageCursors(10, 60_000, clock);
    cursors.remember('a', ['2026-01-01T00:00:00.000001+00:00', 'id-1']);
    expect(cursors.find('a')).toEqual(['2026-01-01T00:00:00.000001+00:00', 'id-1']);
    expect(cursors.find('b')).toBeUndefined();
    cursors.remember('a', ['later', 'id-2']);
    expect(cursors.find('a')).toEqual(['later', 'id-2']);
    expect(cursors.size).toBe(1);
  });

  it('forgets an entry once its time is up', () => {
    const cursors = new PageCursors(10, 60_000, clock);
    cursors.remember('a', ['k']);
    now += 59_999;
    expect(cursors.find('a')).toEqual(['k']);
    now += 1;
    expect(cursors.find('a')).toBeUndefined();
    expect(cursors.size).toBe(0);
  });

  it('holds at most its capacity, dropping the least recently used', () => {
    const cursors = new PageCursors(3, 60_000, clock);
    for (const key of ['a', 'b', 'c']) cursors.remember(key, [key]);
    expect(cursors.find('a')).toEqual(['a']); // b is now the least recently used
    cursors.remember('d', ['d']);
    expect(cursors.size).toBe(3);
    expect(cursors.find('b')).toBeUndefined();
    expect(['a', 'c', 'd'].map((key) => cursors.find(key))).toEqual([['a'], ['c'], ['d']]);
  });
});
