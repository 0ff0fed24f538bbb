import { join } from 'node:path';
import { ESLint } from 'eslint';

/**
 * The module boundaries `eslint.config.js` enforces (docs/architecture.md), proved on deliberate
 * violations: each import is linted as if written in a file of the named folder, with the
 * project's own configuration. A violation must be an error of `no-restricted-imports` (which
 * fails `npm run lint`); an allowed import must get none.
 */
const root = join(import.meta.dirname, '..', '..');
const RULE = 'no-restricted-imports';

interface Case {
  file: string;
  source: string;
}

const refused: Case[] = [
  // common/ imports no feature.
  ...['workspace', 'auth', 'scim', 'mail', 'cli', 'webhooks', 'health'].map((feature) => ({
    file: 'src/common/x.ts',
    source: `import { thing } from '../${feature}/thing.js';`,
  })),
  { file: 'src/common/x.ts', source: `import type { Actor } from '../workspace/actor.js';` },
  { file: 'src/common/x.ts', source: `export { ScimError } from '../scim/scim-error.js';` },
  { file: 'src/common/x.ts', source: `import { AppModule } from '../app.module.js';` },
  { file: 'src/common/nested/x.ts', source: `import { thing } from '../../auth/thing.js';` },
  // workspace/ imports neither auth/ nor scim/.
  {
    file: 'src/workspace/x.ts',
    source: `import { SessionCookie } from '../auth/session/session-cookie.js';`,
  },
  { file: 'src/workspace/x.ts', source: `import type { Json } from '../scim/scim-resources.js';` },
  {
    file: 'src/workspace/repositories/x.ts',
    source: `import { thing } from '../../scim/thing.js';`,
  },
  { file: 'src/workspace/sessions/x.ts', source: `export * from '../../auth/thing.js';` },
  // SCIM protocol code imports neither Nest nor TypeORM.
  { file: 'src/scim/protocol/x.ts', source: `import { Injectable } from '@nestjs/common';` },
  { file: 'src/scim/protocol/patch/x.ts', source: `import { HttpStatus } from '@nestjs/common';` },
  { file: 'src/scim/protocol/x.ts', source: `import { Brackets } from 'typeorm';` },
  { file: 'src/scim/protocol/x.ts', source: `import type { EntityManager } from 'typeorm';` },
  { file: 'src/scim/filter/x.ts', source: `import { InjectDataSource } from '@nestjs/typeorm';` },
  { file: 'src/scim/patch/x.ts', source: `import { Module } from '@nestjs/core';` },
];

const allowed: Case[] = [
  { file: 'src/common/x.ts', source: `import { APP_CONFIG } from '../config/config.module.js';` },
  { file: 'src/common/x.ts', source: `import { thing } from '../database/database.errors.js';` },
  { file: 'src/common/x.ts', source: `import { pageOf } from './paging.js';` },
  { file: 'src/common/x.ts', source: `import { Injectable } from '@nestjs/common';` },
  { file: 'src/common/nested/x.ts', source: `import { pageOf } from '../paging.js';` },
  { file: 'src/workspace/x.ts', source: `import { MailModule } from '../mail/mail.module.js';` },
  { file: 'src/workspace/x.ts', source: `import { pageOf } from '../common/paging.js';` },
  {
    file: 'src/workspace/x.ts',
    source: `import { SessionService } from './sessions/session.service.js';`,
  },
  { file: 'src/scim/protocol/x.ts', source: `import { parse } from 'scim2-parse-filter';` },
  { file: 'src/scim/protocol/x.ts', source: `import { escapeLike } from '../../common/sql.js';` },
  // Other folders may import what these folders may not.
  { file: 'src/auth/x.ts', source: `import { thing } from '../workspace/thing.js';` },
  { file: 'src/scim/x.ts', source: `import { Injectable } from '@nestjs/common';` },
  { file: 'src/scim/store/x.ts', source: `import type { EntityManager } from 'typeorm';` },
];

const describeCase = ({ file, source }: Case) => `${file}: ${source}`;

describe('module boundaries (eslint.config.js)', () => {
  // Only the boundary rule, without type information: the same configuration and file globs,
  // and no TypeScript program per case (type-aware rules need files on disk).
  const eslint = new ESLint({
    cwd: root,
    ruleFilter: ({ ruleId }) => ruleId === RULE,
    overrideConfig: { languageOptions: { parserOptions: { projectService: false } } },
  });

  async function boundaryErrors({ file, source }: Case) {
    const [result] = await eslint.lintText(`${source}\n`, { filePath: join(root, file) });
    expect(result!.fatalErrorCount).toBe(0);
    return result!.messages.filter((message) => message.ruleId === RULE);
  }

  it.each(refused.map((c) => [describeCase(c), c] as const))('refuses %s', async (_, c) => {
    const errors = await boundaryErrors(c);
    expect(errors).toHaveLength(1);
    expect(errors[0]!.severity).toBe(2);
    expect(errors[0]!.message).toContain('docs/architecture.md');
  });

  it.each(allowed.map((c) => [describeCase(c), c] as const))('allows %s', async (_, c) => {
    expect(await boundaryErrors(c)).toEqual([]);
  });

  it('fails the full lint of a real file that gains a violating import', async () => {
    // As `npm run lint` runs it: every rule, with type information, on a file of the project.
    const full = new ESLint({ cwd: root });
    const file = join(root, 'src/common/paging.ts');
    const [result] = await full.lintText(
      `import { WorkspaceService } from '../workspace/workspace.service.js';\n` +
        `export const boundaryViolation = WorkspaceService;\n`,
      { filePath: file },
    );
    expect(result!.errorCount).toBeGreaterThan(0);
    expect(result!.messages.map((message) => message.ruleId)).toContain(RULE);
  }, 120_000);
});
