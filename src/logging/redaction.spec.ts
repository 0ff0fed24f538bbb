import type { Request } from 'express';
import { loggableUrl } from './redaction.js';
import { requestIdOf } from './request-context.js';

function request(url: string, route?: string, params: Record<string, string> = {}): Request {
  return { originalUrl: url, url, route: route && { path: route }, params } as unknown as Request;
}

describe('loggableUrl', () => {
  it.each([
    [
      '/api/workspaces/acme/members',
      '/api/workspaces/:ws/members',
      { ws: 'acme' },
      '/api/workspaces/acme/members',
    ],
    [
      '/api/invites/s3cr3tInviteToken',
      '/api/invites/:token',
      { token: 's3cr3tInviteToken' },
      '/api/invites/[REDACTED]',
    ],
    [
      '/auth/saml/ptok/login?RelayState=%2Fhome&x=1',
      '/auth/saml/:providerToken/login',
      { providerToken: 'ptok' },
      '/auth/saml/[REDACTED]/login?RelayState=[REDACTED]&x=[REDACTED]',
    ],
    [
      '/auth/office365/callback?code=abc&state=def',
      '/auth/office365/callback',
      {},
      '/auth/office365/callback?code=[REDACTED]&state=[REDACTED]',
    ],
  ])('%s on a route shows %s', (url, route, params, shown) => {
    expect(loggableUrl(request(url, route, params))).toBe(shown);
  });

  it('hides token-like segments of a path no route matched, not ids or words', () => {
    const token = 'Zm9vYmFyYmF6cXV4cXV1eGNvcmdl';
    const id = '0b6c6a8e-3c2f-4f7e-9d55-2f6f0c1f3a10';
    expect(loggableUrl(request(`/nope/${token}/${id}/members?token=${token}`))).toBe(
      `/nope/[REDACTED]/${id}/members?token=[REDACTED]`,
    );
  });
});

describe('requestIdOf', () => {
  it('keeps a short id of safe characters', () => {
    expect(requestIdOf('abc-123_x.y:z')).toBe('abc-123_x.y:z');
    expect(requestIdOf('0b6c6a8e-3c2f-4f7e-9d55-2f6f0c1f3a10')).toBe(
      '0b6c6a8e-3c2f-4f7e-9d55-2f6f0c1f3a10',
    );
  });

  it.each([
    ['too long', 'a'.repeat(129)],
    ['empty', ''],
    ['spaces', 'a b'],
    ['quotes and braces', 'x"}{"level":60'],
    ['a newline', 'a\nb'],
    ['two headers', ['a', 'b']],
    ['none', undefined],
  ])('replaces one that is %s with a new UUID', (_, header) => {
    expect(requestIdOf(header)).toMatch(
      /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
    );
  });
});
