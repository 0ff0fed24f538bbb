/** A database URL fit for a log line: the password hidden. */
export function describeDatabaseUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return 'PostgreSQL (unparseable DATABASE_URL)';
  }
}
