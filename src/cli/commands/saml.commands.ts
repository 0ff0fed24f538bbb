import type { Command } from 'commander';
import type { SamlProviderView } from '../../auth/saml/saml-provider.service.js';
import { readInputFile, validated } from '../input.js';
import { fields, table } from '../output.js';
import type { Runner } from '../program.js';
import { WORKSPACE_ARGUMENT } from './workspace.commands.js';

interface AddOptions {
  name: string;
  metadata: string;
  disabled?: boolean;
  idpInitiated: boolean;
  signRequests?: boolean;
  encryptedAssertions?: boolean;
}

/** What to enter at the identity provider, and what Gatehouse read from its metadata. */
function providerLines(provider: SamlProviderView): string[] {
  return fields([
    ['provider', `${provider.name} (${provider.enabled ? 'enabled' : 'disabled'})`],
    ['id', provider.id],
    ['IdP entity ID', provider.idpEntityId],
    ['IdP SSO URL', `${provider.idpSsoUrl} (${provider.idpSsoBinding})`],
    [
      'IdP certificates',
      provider.idpCertificates.map((c) => `${c.subject}, until ${c.notAfter}`).join('; '),
    ],
    ['ACS URL', provider.acsUrl],
    ['SP entity ID', provider.spEntityId],
    ['SP metadata URL', provider.spMetadataUrl],
    ['login URL', provider.loginUrl],
  ]);
}

export function registerSamlCommands(program: Command, run: Runner): void {
  program
    .command('saml:add')
    .description('Add a SAML provider from IdP metadata XML')
    .argument('<workspace>', WORKSPACE_ARGUMENT)
    .requiredOption('--name <name>', 'a name for it, unique in the workspace (e.g. Okta)')
    .requiredOption('--metadata <file>', 'the IdP metadata XML file, or - for standard input')
    .option('--disabled', 'add it disabled')
    .option('--no-idp-initiated', 'refuse unsolicited (IdP-initiated) responses')
    .option('--sign-requests', 'sign our AuthnRequests')
    .option('--encrypted-assertions', 'ask the IdP to encrypt assertions')
    .action(
      run<AddOptions>(async (session, [slugOrId], options) => {
        const metadataXml = await readInputFile(options.metadata, 'metadata', session.io.stdin);
        const { CreateSamlProviderDto } = await import('../api.js');
        const input = await validated(
          CreateSamlProviderDto,
          {
            name: options.name,
            metadataXml,
            enabled: !options.disabled,
            allowIdpInitiated: options.idpInitiated,
            signAuthnRequests: options.signRequests === true,
            wantEncryptedAssertions: options.encryptedAssertions === true,
          },
          { name: '--name', metadataXml: '--metadata' },
        );
        const services = await session.services();
        const workspace = await services.workspace(slugOrId!);
        const provider = services.samlProviders.view(
          await services.samlProviders.create(workspace.id, input, services.actor),
        );
        return { data: provider, text: providerLines(provider) };
      }),
    );

  program
    .command('saml:list')
    .description("List a workspace's SAML providers and their URLs")
    .argument('<workspace>', WORKSPACE_ARGUMENT)
    .action(
      run(async (session, [slugOrId]) => {
        const services = await session.services();
        const workspace = await services.workspace(slugOrId!);
        const providers = (await services.samlProviders.list(workspace.id)).map((p) =>
          services.samlProviders.view(p),
        );
        return {
          data: { items: providers, total: providers.length },
          text: table(
            ['NAME', 'ENABLED', 'ID', 'ACS URL'],
            providers.map((p) => [p.name, p.enabled ? 'yes' : 'no', p.id, p.acsUrl]),
          ),
        };
      }),
    );
}
