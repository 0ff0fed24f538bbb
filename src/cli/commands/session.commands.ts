import type { Command } from 'commander';
import type { Runner } from '../program.js';
import { WORKSPACE_ARGUMENT } from './workspace.commands.js';

export function registerSessionCommands(program: Command, run: Runner): void {
  program
    .command('sessions:revoke')
    .description('Sign everyone out of a workspace (or one member)')
    .argument('<workspace>', WORKSPACE_ARGUMENT)
    .option('--member <member>', 'only this member: user id or email')
    .action(
      run<{ member?: string }>(async (session, [slugOrId], options) => {
        const services = await session.services();
        const workspace = await services.workspace(slugOrId!);
        let revoked: number;
        if (options.member) {
          const member = await services.member(workspace.id, options.member);
          revoked = await services.members.revokeSessions(
            workspace.id,
            member.userId,
            services.actor,
          );
        } else {
          revoked = await services.members.revokeAllSessions(workspace.id, services.actor);
        }
        return {
          data: { revoked },
          text: `Signed out ${revoked} session${revoked === 1 ? '' : 's'}.`,
        };
      }),
    );
}
