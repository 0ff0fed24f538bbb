import type { Command } from 'commander';
import type { OidcConfigurationView } from '../../auth/generic-oidc/oidc-configuration.service.js';
import { readInputFile, validated } from '../input.js';
import { fields } from '../output.js';
import type { Runner } from '../program.js';
import { WORKSPACE_ARGUMENT } from './workspace.commands.js';

interface SetOptions {
  issuer: string;
  clientId: string;
  clientSecretFile: string;
}

/** What to register at the provider, and what Gatehouse keeps (never the secret). */
function configurationLines(view: OidcConfigurationView): string[] {
  return fields([
    ['issuer', view.issuer],
    ['client ID', view.clientId],
    ['client secret', 'set (never shown)'],
    ['redirect URI', view.redirectUri],
    ['login URL', view.loginUrl],
  ]);
}

async function oidcConfigurations(session: Parameters<Parameters<Runner>[0]>[0]) {
  const { OidcConfigurationService } =
    await import('../../auth/generic-oidc/oidc-configuration.service.js');
  const services = await session.services();
  return { services, oidc: services.app.get(OidcConfigurationService, { strict: false }) };
}

/** The workspace's own OpenID provider (generic OpenID Connect sign-in, docs/oidc.md). */
export function registerOidcCommands(program: Command, run: Runner): void {
  program
    .command('oidc:set')
    .description("Set the workspace's OpenID provider (generic OpenID Connect sign-in)")
    .addHelpText(
      'after',
      '\nThe secret is read from a file (or - for standard input), never from the command line.\nSwitch the method on with settings; see docs/oidc.md.',
    )
    .argument('<workspace>', WORKSPACE_ARGUMENT)
    .requiredOption('--issuer <url>', 'the issuer (https), exactly as its discovery document says')
    .requiredOption('--client-id <id>', 'the client ID registered at the provider')
    .requiredOption('--client-secret-file <file>', 'a file holding the client secret, or -')
    .action(
      run<SetOptions>(async (session, [slugOrId], options) => {
        const secret = await readInputFile(
          options.clientSecretFile,
          'client secret',
          session.io.stdin,
        );
        const { PutOidcConfigurationDto } =
          await import('../../auth/generic-oidc/dto/oidc-configuration.dto.js');
        const input = await validated(
          PutOidcConfigurationDto,
          { issuer: options.issuer, clientId: options.clientId, clientSecret: secret.trim() },
          {
            issuer: '--issuer',
            clientId: '--client-id',
            clientSecret: '--client-secret-file',
          },
        );
        const { services, oidc } = await oidcConfigurations(session);
        const workspace = await services.workspace(slugOrId!);
        const view = oidc.view(workspace, await oidc.put(workspace.id, input, services.actor));
        return { data: view, text: configurationLines(view) };
      }),
    );

  program
    .command('oidc:show')
    .description("Show the workspace's OpenID provider (never its secret)")
    .argument('<workspace>', WORKSPACE_ARGUMENT)
    .action(
      run(async (session, [slugOrId]) => {
        const { services, oidc } = await oidcConfigurations(session);
        const workspace = await services.workspace(slugOrId!);
        const view = oidc.view(workspace, await oidc.get(workspace.id));
        return { data: view, text: configurationLines(view) };
      }),
    );

  program
    .command('oidc:remove')
    .description("Remove the workspace's OpenID provider")
    .argument('<workspace>', WORKSPACE_ARGUMENT)
    .option('--force', 'even if it leaves no usable sign-in method (audited as forced)')
    .action(
      run<{ force?: boolean }>(async (session, [slugOrId], options) => {
        const { services, oidc } = await oidcConfigurations(session);
        const workspace = await services.workspace(slugOrId!);
        await oidc.remove(workspace.id, services.actor, { force: options.force === true });
        return { data: { removed: true }, text: ['OpenID provider removed.'] };
      }),
    );
}
