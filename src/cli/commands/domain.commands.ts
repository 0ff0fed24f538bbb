import type { Command } from 'commander';
import type { DomainView } from '../../workspace/domain.service.js';
import { validated } from '../input.js';
import { fields, show, table } from '../output.js';
import type { Runner } from '../program.js';
import { addPageOptions, type PageOptions, pageOptions, pageSummary } from './paging.js';
import { WORKSPACE_ARGUMENT } from './workspace.commands.js';

function domainLines(domain: DomainView): string[] {
  const lines = fields([
    ['domain', domain.domain],
    ['status', domain.status],
    ['verified', domain.verifiedAt],
  ]);
  if (domain.status === 'pending') {
    lines.push(
      `To verify it, publish a TXT record named ${domain.verification.name} with the value ${domain.verification.value}`,
    );
  }
  return lines;
}

/** The domain argument, checked like the API's body (the service then checks the name). */
async function domainArgument(domain: string | undefined): Promise<string> {
  const { AddDomainDto } = await import('../api.js');
  return (await validated(AddDomainDto, { domain }, { domain: '<domain>' })).domain;
}

export function registerDomainCommands(program: Command, run: Runner): void {
  addPageOptions(
    program
      .command('domains:list')
      .description("List a workspace's claimed domains")
      .argument('<workspace>', WORKSPACE_ARGUMENT),
  ).action(
    run<PageOptions>(async (session, [slugOrId], options) => {
      const page = await pageOptions(options);
      const services = await session.services();
      const workspace = await services.workspace(slugOrId!);
      const found = await services.domains.list(workspace.id, page);
      return {
        data: found,
        text: [
          ...table(
            ['DOMAIN', 'STATUS', 'VERIFIED'],
            found.items.map((d) => [d.domain, d.status, show(d.verifiedAt)]),
          ),
          pageSummary(found),
        ],
      };
    }),
  );

  program
    .command('domains:claim')
    .description('Claim an email domain for a workspace')
    .argument('<workspace>', WORKSPACE_ARGUMENT)
    .argument('<domain>', 'e.g. acme.com')
    .action(
      run(async (session, [slugOrId, domainName]) => {
        const domain = await domainArgument(domainName);
        const services = await session.services();
        const workspace = await services.workspace(slugOrId!);
        const claimed = await services.domains.add(workspace.id, domain, services.actor);
        return { data: claimed, text: domainLines(claimed) };
      }),
    );

  program
    .command('domains:verify')
    .description('Verify a claimed domain by DNS, or without it (--force)')
    .argument('<workspace>', WORKSPACE_ARGUMENT)
    .argument('<domain>', 'a domain the workspace claimed')
    .option('--force', 'mark it verified without the DNS check (audited as forced)')
    .action(
      run<{ force?: boolean }>(async (session, [slugOrId, domainName], options) => {
        const domain = await domainArgument(domainName);
        const services = await session.services();
        const workspace = await services.workspace(slugOrId!);
        const verified = await services.domains.verify(
          workspace.id,
          domain,
          { force: options.force === true },
          services.actor,
        );
        return { data: verified, text: domainLines(verified) };
      }),
    );
}
