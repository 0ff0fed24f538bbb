/**
 * Where to send the browser after sign-in: `target` when it is a path or a URL on the frontend's
 * origin, else the frontend's home. Never another origin (no open redirect).
 */
export function safeRedirect(target: string | undefined | null, frontendUrl: string): string {
  const home = new URL(frontendUrl);
  if (!target || target.length > 2048) return home.toString();
  let resolved: URL;
  try {
    resolved = new URL(target, home);
  } catch {
    return home.toString();
  }
  if (resolved.origin !== home.origin) return home.toString();
  if (resolved.username || resolved.password) return home.toString();
  return resolved.toString();
}
