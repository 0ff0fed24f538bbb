import type { Command } from 'commander';
import { validated } from '../input.js';
import { fields } from '../output.js';
import type { Runner } from '../program.js';
import { WORKSPACE_ARGUMENT } from './workspace.commands.js';

const TOKEN_NOTE =
  'Give the base URL and the token to the identity provider: the token is shown once.';

export function registerScimCommands(program: Command, run: Runner): void {
  program
    .command('scim:enable')
    .description('Turn SCIM provisioning on and print its token')
    .addHelpText(
      'after',
      '\nSCIM needs an enabled SAML provider and SAML as the only sign-in method (settings:set).',
    )
    .argument('<workspace>', WORKSPACE_ARGUMENT)
    .requiredOption('--provider <provider>', 'the identity provider: okta, azure or generic')
    .action(
      run<{ provider: string }>(async (session, [slugOrId], options) => {
        const { EnableScimDto } = await import('../api.js');
        const { provider } = await validated(
          EnableScimDto,
          { provider: options.provider },
          { provider: '--provider' },
        );
        const services = await session.services();
        const workspace = await services.workspace(slugOrId!);
        const enabled = await services.scim.enable(workspace.id, provider, services.actor);
        return {
          data: enabled,
          text: [
            ...fields([
              ['base URL', enabled.baseUrl],
              ['token', enabled.token],
            ]),
            TOKEN_NOTE,
          ],
        };
      }),
    );

  program
    .command('scim:rotate-token')
    .description('Issue a new SCIM token (the old one works for a grace period)')
    .argument('<workspace>', WORKSPACE_ARGUMENT)
    .action(
      run(async (session, [slugOrId]) => {
        const services = await session.services();
        const workspace = await services.workspace(slugOrId!);
        const rotated = await services.scim.rotateToken(workspace.id, services.actor);
        return {
          data: rotated,
          text: [
            ...fields([
              ['base URL', rotated.baseUrl],
              ['token', rotated.token],
              ['previous token valid until', rotated.previousTokenValidUntil],
            ]),
            TOKEN_NOTE,
          ],
        };
      }),
    );
}
