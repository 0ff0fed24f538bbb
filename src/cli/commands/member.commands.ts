import type { Command } from 'commander';
import type { MemberView, UpdateMemberInput } from '../../workspace/member.service.js';
import type { CliSession } from '../cli-session.js';
import { validated } from '../input.js';
import { fields, type Outcome, table } from '../output.js';
import type { Runner } from '../program.js';
import { addPageOptions, PAGE_OPTION_NAMES, type PageOptions, pageSummary } from './paging.js';
import { WORKSPACE_ARGUMENT } from './workspace.commands.js';

const MEMBER_ARGUMENT = 'the member: user id or email';

interface ListOptions extends PageOptions {
  status?: string;
  role?: string;
  email?: string;
}

function memberFields(member: MemberView): string[] {
  return fields([
    ['email', member.email],
    ['name', member.fullName],
    ['user id', member.userId],
    ['role', member.role],
    ['status', member.status],
    ['source', member.source],
    ['SCIM-managed', member.scimManaged ? 'yes' : 'no'],
    ['member since', member.createdAt],
    ['deactivated', member.deactivatedAt],
  ]);
}

/** Changes one member with the admin API's PATCH rules (last admin, SCIM-managed roles...). */
async function updateMember(
  session: CliSession,
  [slugOrId, idOrEmail]: string[],
  change: UpdateMemberInput,
  optionOf: Record<string, string> = {},
): Promise<Outcome> {
  const { UpdateMemberDto } = await import('../api.js');
  const input = await validated(UpdateMemberDto, change, optionOf);
  const services = await session.services();
  const workspace = await services.workspace(slugOrId!);
  const member = await services.member(workspace.id, idOrEmail!);
  const updated = await services.members.update(workspace.id, member.userId, input, services.actor);
  return { data: updated, text: memberFields(updated) };
}

export function registerMemberCommands(program: Command, run: Runner): void {
  addPageOptions(
    program
      .command('members:list')
      .description('List the members of a workspace, by email')
      .argument('<workspace>', WORKSPACE_ARGUMENT)
      .option('--status <status>', 'active or deactivated')
      .option('--role <role>', 'admin or member')
      .option('--email <part>', 'only emails containing this (case-insensitive)'),
  ).action(
    run<ListOptions>(async (session, [slugOrId], options) => {
      const { status, role, email, limit, offset } = options;
      const { ListMembersQuery, pageOf } = await import('../api.js');
      const query = await validated(
        ListMembersQuery,
        { status, role, email, limit, offset },
        { ...PAGE_OPTION_NAMES, status: '--status', role: '--role', email: '--email' },
      );
      const services = await session.services();
      const workspace = await services.workspace(slugOrId!);
      const page = await services.members.list(
        workspace.id,
        { status: query.status, role: query.role, email: query.email },
        pageOf(query),
      );
      return {
        data: page,
        text: [
          ...table(
            ['EMAIL', 'ROLE', 'STATUS', 'SOURCE', 'USER ID'],
            page.items.map((m) => [m.email, m.role, m.status, m.source, m.userId]),
          ),
          pageSummary(page),
        ],
      };
    }),
  );

  program
    .command('members:find')
    .description('Show one member, found by user id or exact email')
    .argument('<workspace>', WORKSPACE_ARGUMENT)
    .argument('<member>', MEMBER_ARGUMENT)
    .action(
      run(async (session, [slugOrId, idOrEmail]) => {
        const services = await session.services();
        const workspace = await services.workspace(slugOrId!);
        const member = await services.member(workspace.id, idOrEmail!);
        return { data: member, text: memberFields(member) };
      }),
    );

  program
    .command('members:set-role')
    .description('Make a member an admin or a plain member')
    .argument('<workspace>', WORKSPACE_ARGUMENT)
    .argument('<member>', MEMBER_ARGUMENT)
    .argument('<role>', 'admin or member')
    .action(
      run(async (session, args) =>
        updateMember(
          session,
          args,
          { role: args[2] as UpdateMemberInput['role'] },
          { role: '<role>' },
        ),
      ),
    );

  program
    .command('members:deactivate')
    .description('Deactivate a member (signed out, removed from groups)')
    .argument('<workspace>', WORKSPACE_ARGUMENT)
    .argument('<member>', MEMBER_ARGUMENT)
    .action(run(async (session, args) => updateMember(session, args, { status: 'deactivated' })));

  program
    .command('members:reactivate')
    .description('Reactivate a deactivated member (groups are not restored)')
    .argument('<workspace>', WORKSPACE_ARGUMENT)
    .argument('<member>', MEMBER_ARGUMENT)
    .action(run(async (session, args) => updateMember(session, args, { status: 'active' })));
}
