import { METHODS } from 'node:http';
import type { Application } from 'express';
import { match } from 'path-to-regexp';

interface RouteLayer {
  route?: { path: unknown; methods: Record<string, boolean> };
}

interface Route {
  matches: (path: string) => boolean;
  methods: string[];
}

const tables = new WeakMap<Application, Route[]>();

/**
 * The routes of an Express app as registered (Nest adds its controllers' routes to the app's
 * router), read once from the router's stack the first time they are asked for, after init.
 * Routes for every method are left out: they are middleware mounts (Nest's `forRoutes`), not
 * resources. Patterns are matched as Express does by default: case-insensitive, optional
 * trailing slash.
 */
function routesOf(app: Application): Route[] {
  let routes = tables.get(app);
  if (!routes) {
    const stack = (app.router as unknown as { stack: RouteLayer[] }).stack;
    routes = stack.flatMap(({ route }) => {
      if (!route) return [];
      const methods = Object.keys(route.methods)
        .filter((m) => route.methods[m])
        .map((m) => m.toUpperCase());
      if (methods.includes('_ALL') || METHODS.every((m) => methods.includes(m))) return [];
      const paths = [route.path].flat().filter((p): p is string => typeof p === 'string');
      return paths.map((path) => {
        const matcher = match(path, { decode: false, sensitive: false, trailing: true, end: true });
        return { matches: (candidate: string) => matcher(candidate) !== false, methods };
      });
    });
    tables.set(app, routes);
  }
  return routes;
}

/** The methods the app's routes answer for a path (HEAD wherever GET is), sorted. */
export function allowedMethods(app: Application, path: string): string[] {
  const allowed = new Set<string>();
  for (const route of routesOf(app)) {
    if (route.matches(path)) for (const method of route.methods) allowed.add(method);
  }
  if (allowed.has('GET')) allowed.add('HEAD');
  return [...allowed].sort();
}
