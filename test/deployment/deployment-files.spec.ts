import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import semver from 'semver';
import { parse } from 'yaml';

/**
 * No container engine runs here, so the Dockerfile and compose.yaml are checked by linters
 * (dockerfile-utils, dclint with the Compose schema) and by reading what production needs.
 */
const root = join(import.meta.dirname, '..', '..');
const run = promisify(execFile);
const bin = (name: string) => join(root, 'node_modules', '.bin', name);

async function lint(command: string, args: string[]) {
  try {
    const { stdout, stderr } = await run(bin(command), args, { cwd: root });
    return { code: 0, output: stdout + stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, output: failed.stdout + failed.stderr };
  }
}

/** The instructions of the Dockerfile's last stage (the image that runs). */
function finalStage(dockerfile: string): string[] {
  const lines = dockerfile
    .replace(/\\\n/g, ' ')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line && !line.startsWith('#'));
  const from = lines.map((line, i) => (/^FROM\s/i.test(line) ? i : -1)).filter((i) => i >= 0);
  return lines.slice(from.at(-1));
}

describe('Dockerfile', () => {
  const dockerfile = readFileSync(join(root, 'Dockerfile'), 'utf8');
  const stage = finalStage(dockerfile);

  it('passes dockerfile-utils lint', async () => {
    const result = await lint('dockerfile-utils', ['lint', 'Dockerfile']);
    expect(result).toEqual({ code: 0, output: '' });
  });

  it('the linter refuses a broken Dockerfile (so the check above can fail)', async () => {
    const result = await lint('dockerfile-utils', [
      'lint',
      join(root, 'test', 'deployment', 'fixtures', 'broken.Dockerfile'),
    ]);
    expect(result.code).not.toBe(0);
    expect(result.output).toContain('Instruction has no arguments');
  });

  it('runs as a non-root user', () => {
    const user = stage.filter((line) => /^USER\s/i.test(line)).at(-1);
    expect(user).toBeDefined();
    expect(user!.split(/\s+/)[1]).not.toMatch(/^(root|0)(:|$)/);
  });

  it('ships production dependencies only', () => {
    expect(dockerfile).toMatch(/npm (prune|ci)[^\n]*--omit=dev/);
    expect(stage.join('\n')).not.toMatch(/npm (install|ci)(?![^\n]*--omit=dev)/);
    expect(stage.find((line) => /^ENV\s/i.test(line))).toMatch(/NODE_ENV=production/);
  });

  it('is built on a Node.js version every dependency supports', () => {
    const image = stage[0]!.split(/\s+/)[1]!;
    const tag = /^node:(\d+)(?:\.(\d+))?/.exec(image);
    expect(tag).not.toBeNull();
    // A major-only tag is that major's newest release; a minor tag its newest patch.
    const node = `${tag![1]}.${tag![2] ?? 999}.999`;
    const lock = JSON.parse(readFileSync(join(root, 'package-lock.json'), 'utf8')) as {
      packages: Record<string, { dev?: boolean; engines?: { node?: string } }>;
    };
    const unsupported = Object.entries(lock.packages)
      .filter(([, meta]) => !meta.dev && meta.engines?.node)
      .filter(([, meta]) => !semver.satisfies(node, meta.engines!.node!))
      .map(([name, meta]) => `${name} (${meta.engines!.node})`);
    expect(unsupported).toEqual([]);
  });
});

describe('compose.yaml', () => {
  const compose = parse(readFileSync(join(root, 'compose.yaml'), 'utf8')) as {
    services: Record<string, Record<string, unknown>>;
    volumes?: Record<string, unknown>;
  };

  it('passes dclint (the Compose schema and its rules), warnings included', async () => {
    const result = await lint('dclint', [
      'compose.yaml',
      '--max-warnings',
      '0',
      '--color',
      'false',
    ]);
    expect(result.code).toBe(0);
  });

  it('runs PostgreSQL 17 on a named volume, with a health check', () => {
    const postgres = compose.services.postgres!;
    expect(postgres.image).toMatch(/^postgres:17\b/);
    expect(postgres.volumes).toEqual(['postgres-data:/var/lib/postgresql/data']);
    expect(compose.volumes).toHaveProperty('postgres-data');
    expect(postgres.healthcheck).toMatchObject({ test: expect.arrayContaining(['CMD-SHELL']) });
  });

  it('starts Gatehouse once PostgreSQL is healthy, with a health check of its own', () => {
    const gatehouse = compose.services.gatehouse!;
    expect(gatehouse.build).toBe('.');
    expect(gatehouse.depends_on).toEqual({ postgres: { condition: 'service_healthy' } });
    expect(JSON.stringify(gatehouse.healthcheck)).toContain('/health/ready');
  });

  it('sets what production requires, each secret from the environment and required', () => {
    const env = compose.services.gatehouse!.environment as Record<string, string>;
    expect(env.NODE_ENV).toBe('production');
    expect(env.DATABASE_URL).toMatch(
      /^postgres:\/\/gatehouse:\$\{POSTGRES_PASSWORD:\?.+\}@postgres:5432\/gatehouse$/,
    );
    for (const name of ['INTERNAL_API_TOKEN', 'SECRET_KEY', 'SMTP_URL', 'PUBLIC_URL']) {
      expect(env[name]).toMatch(new RegExp(`^\\$\\{${name}:\\?`));
    }
  });
});
