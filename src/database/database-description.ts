/** A database URL fit for a log line: the password hidden, in the userinfo or the query. */
export function describeDatabaseUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    if (parsed.searchParams.has('password')) parsed.searchParams.set('password', '***');
    return parsed.toString();
  } catch {
    return 'PostgreSQL (unparseable DATABASE_URL)';
  }
}

/** Where a database URL points: `postgres://user@host:port/database`, no password, no options. */
export function describeDatabaseTarget(url: string): string {
  try {
    const parsed = new URL(url);
    const user = parsed.username ? `${parsed.username}@` : '';
    const host = parsed.hostname || parsed.searchParams.get('host') || 'localhost';
    return `${parsed.protocol}//${user}${host}:${parsed.port || '5432'}${parsed.pathname}`;
  } catch {
    return 'PostgreSQL (unparseable URL)';
  }
}
