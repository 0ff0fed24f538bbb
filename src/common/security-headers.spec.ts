import express, { type RequestHandler } from 'express';
import helmet, { type HelmetOptions } from 'helmet';
import request from 'supertest';
import { securityHeaders } from './security-headers.js';

/** The headers a response carries behind `middleware`, without the ones that change per response. */
async function headersBehind(middleware: RequestHandler): Promise<Record<string, string>> {
  const app = express();
  app.use(middleware);
  app.get('/', (_req, res) => {
    res.send('ok');
  });
  const response = await request(app).get('/').expect(200);
  const headers = { ...(response.headers as Record<string, string>) };
  delete headers.date;
  delete headers.etag;
  return headers;
}

describe('security headers', () => {
  const variants: [string, HelmetOptions][] = [
    ['the API', {}],
    ['the /docs UI', { contentSecurityPolicy: false }],
    ['custom directives', { contentSecurityPolicy: { directives: { 'img-src': ["'self'"] } } }],
  ];

  it.each(variants)('sets exactly what helmet sets, for %s', async (_name, options) => {
    const expected = await headersBehind(helmet(options));
    expect(expected['x-content-type-options']).toBe('nosniff');
    expect(await headersBehind(securityHeaders(options))).toEqual(expected);
  });

  it('removes X-Powered-By as helmet does', async () => {
    const headers = await headersBehind(securityHeaders());
    expect(headers['x-powered-by']).toBeUndefined();
  });

  it('refuses a Content-Security-Policy computed per request, which cannot be worked out once', () => {
    expect(() =>
      securityHeaders({
        contentSecurityPolicy: { directives: { 'script-src': [() => "'nonce-x'"] } },
      }),
    ).toThrow(/computed per request/);
  });

  it('refuses options helmet itself refuses', () => {
    expect(() =>
      securityHeaders({ crossOriginOpenerPolicy: { policy: 'no-such-policy' as 'same-origin' } }),
    ).toThrow();
  });
});
