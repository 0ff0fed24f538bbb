import type { Command } from 'commander';
import type { Workspace } from '../../workspace/entities/workspace.entity.js';
import type { MemberView } from '../../workspace/member.service.js';
import type { workspaceView } from '../../workspace/workspaces.controller.js';
import type { SettingsWarning } from '../../workspace/workspace.service.js';
import type { CliServices } from '../cli-services.js';
import { usageError } from '../exit-codes.js';
import { readStdin, validated } from '../input.js';
import { fields, show, table } from '../output.js';
import type { Runner } from '../program.js';
import { addPageOptions, type PageOptions, pageOptions, pageSummary } from './paging.js';

export const WORKSPACE_ARGUMENT = 'the workspace slug or id';

interface CreateOptions {
  slug?: string;
  adminEmail?: string;
  adminName?: string;
  adminPasswordStdin?: boolean;
}

type WorkspaceView = ReturnType<typeof workspaceView>;

/** The workspace as `GET /api/workspaces/:ws` shows it, warnings included. */
export async function detailedWorkspace(
  services: CliServices,
  workspace: Workspace,
): Promise<WorkspaceView> {
  const { workspaceView } = await import('../api.js');
  return workspaceView(workspace, await services.workspaces.warnings(workspace));
}

export function workspaceLines(view: WorkspaceView): string[] {
  const { signInMethods, ...session } = view.settings;
  const methods = Object.entries(signInMethods)
    .map(([method, on]) => `${method} ${on ? 'on' : 'off'}`)
    .join(', ');
  return [
    ...fields([
      ['workspace', `${view.name} (${view.slug})`],
      ['id', view.id],
      ['sign-in methods', methods],
      ['session lifetime', `${session.sessionLifetimeSeconds} s`],
      [
        'idle timeout',
        session.sessionIdleTimeoutSeconds === null
          ? 'off'
          : `${session.sessionIdleTimeoutSeconds} s`,
      ],
      ['SCIM-only provisioning', session.scimOnlyProvisioning ? 'on' : 'off'],
    ]),
    ...warningLines(view.warnings ?? []),
  ];
}

function warningLines(warnings: SettingsWarning[]): string[] {
  return warnings.map((warning) => `warning: ${warning.message} (${warning.code})`);
}

function memberLine(member: MemberView): string {
  return `${member.email} (${member.role}, user id ${member.userId})`;
}

export function registerWorkspaceCommands(program: Command, run: Runner): void {
  program
    .command('workspace:create')
    .description('Create a workspace, optionally with its first admin')
    .argument('<name>', 'the display name')
    .option(
      '--slug <slug>',
      'lower-case letters, digits and dashes (derived from the name if left out)',
    )
    .option('--admin-email <email>', 'the first admin (a new or an existing person)')
    .option('--admin-name <name>', "the first admin's full name")
    .option(
      '--admin-password-stdin',
      "read the first admin's password from standard input (left out: no password)",
    )
    .action(
      run<CreateOptions>(async (session, [name], options) => {
        if (!options.adminEmail && (options.adminName || options.adminPasswordStdin)) {
          throw usageError('--admin-name and --admin-password-stdin need --admin-email.');
        }
        const password = options.adminPasswordStdin
          ? (await readStdin(session.io.stdin)).replace(/\r?\n$/, '')
          : undefined;
        const { CreateWorkspaceDto } = await import('../api.js');
        const input = await validated(
          CreateWorkspaceDto,
          {
            name,
            slug: options.slug,
            firstAdmin: options.adminEmail && {
              email: options.adminEmail,
              fullName: options.adminName,
              password,
            },
          },
          {
            slug: '--slug',
            'firstAdmin.email': '--admin-email',
            'firstAdmin.fullName': '--admin-name',
            'firstAdmin.password': '--admin-password-stdin',
          },
        );
        const services = await session.services();
        const workspace = await services.workspaces.create(input, services.actor);
        const firstAdmin = input.firstAdmin
          ? await services.member(workspace.id, input.firstAdmin.email)
          : null;
        const view = await detailedWorkspace(services, workspace);
        return {
          data: { ...view, firstAdmin },
          text: [
            `Created workspace ${view.name} (${view.slug}), id ${view.id}.`,
            ...(firstAdmin ? [`First admin: ${memberLine(firstAdmin)}`] : []),
            ...warningLines(view.warnings ?? []),
          ],
        };
      }),
    );

  addPageOptions(
    program.command('workspace:list').description('List the workspaces, oldest first'),
  ).action(
    run<PageOptions>(async (session, _, options) => {
      const page = await pageOptions(options);
      const services = await session.services();
      const found = await services.workspaces.list(page);
      const { workspaceView } = await import('../api.js');
      const items = found.items.map((workspace) => workspaceView(workspace));
      return {
        data: { ...found, items },
        text: [
          ...table(
            ['SLUG', 'NAME', 'ID', 'CREATED'],
            items.map((w) => [w.slug, w.name, w.id, show(w.createdAt)]),
          ),
          pageSummary(found),
        ],
      };
    }),
  );

  program
    .command('workspace:show')
    .description('Show a workspace, its settings and their warnings')
    .argument('<workspace>', WORKSPACE_ARGUMENT)
    .action(
      run(async (session, [slugOrId]) => {
        const services = await session.services();
        const view = await detailedWorkspace(services, await services.workspace(slugOrId!));
        return { data: view, text: workspaceLines(view) };
      }),
    );
}
