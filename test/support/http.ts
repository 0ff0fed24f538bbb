import type { Response } from 'supertest';

/** The `Set-Cookie` headers of a response (none: an empty list). */
export function setCookies(res: Response): string[] {
  return (res.headers['set-cookie'] as unknown as string[] | undefined) ?? [];
}

/** The whole `Set-Cookie` header the response set for cookie `name`, if any. */
export function cookieHeader(res: Response, name: string): string | undefined {
  return setCookies(res).find((c) => c.startsWith(`${name}=`));
}

/** `name=value` of a cookie the response set (for the next request's Cookie header). */
export function cookiePair(res: Response, name: string): string {
  const header = cookieHeader(res, name);
  if (!header) throw new Error(`no ${name} cookie in ${JSON.stringify(setCookies(res))}`);
  return header.split(';')[0]!;
}

/** `gatehouse_session=value` if the response set a session cookie. */
export function sessionCookieOf(res: { headers: Record<string, unknown> }): string | undefined {
  const cookies = res.headers['set-cookie'] as string[] | undefined;
  return cookies?.find((c) => c.startsWith('gatehouse_session='))?.split(';')[0];
}

/** A sign-in refusal: the status and error code, and no session cookie set. */
export function expectRefusal(res: Response, status: number, code: string): void {
  expect({ status: res.status, code: res.body.code }).toEqual({ status, code });
  expect(cookieHeader(res, 'gatehouse_session')).toBeUndefined();
}
