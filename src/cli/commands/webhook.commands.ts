import type { Command } from 'commander';
import type { WebhookEndpointView } from '../../webhooks/webhook.repository.js';
import type { WebhookService } from '../../webhooks/webhook.service.js';
import type { CliSession } from '../cli-session.js';
import type { CliServices } from '../cli-services.js';
import { onOff, validated } from '../input.js';
import { fields, table } from '../output.js';
import type { Runner } from '../program.js';
import {
  addPageOptions,
  PAGE_OPTION_NAMES,
  type PageOptions,
  pageOptions,
  pageSummary,
} from './paging.js';
import { WORKSPACE_ARGUMENT } from './workspace.commands.js';

const ENDPOINT_ARGUMENT = 'the webhook endpoint id';
const EVENTS_HELP = 'comma-separated event types, or * for all (docs/audit-events.md)';
const SECRET_NOTE =
  'Give the signing secret to the receiver now: it is shown once (docs/webhooks.md).';

interface EndpointOptions {
  url?: string;
  events?: string;
  description?: string;
  enabled?: boolean;
}

const OPTION_OF = {
  url: '--url',
  events: '--events',
  description: '--description',
  enabled: '--enabled',
};

function endpointFields(endpoint: WebhookEndpointView & { secret?: string }): string[] {
  return fields([
    ['id', endpoint.id],
    ['url', endpoint.url],
    ['events', endpoint.events.join(',')],
    ['enabled', endpoint.enabled ? 'yes' : 'no'],
    ['description', endpoint.description],
    ['created', endpoint.createdAt],
    ['updated', endpoint.updatedAt],
    ...(endpoint.secret ? ([['signing secret', endpoint.secret]] as [string, unknown][]) : []),
  ]);
}

function eventList(events: string | undefined): string[] | undefined {
  return events?.split(',').map((event) => event.trim());
}

/** The webhook service and workspace of a command. */
async function open(
  session: CliSession,
  slugOrId: string,
): Promise<{ services: CliServices; webhooks: WebhookService; workspaceId: string }> {
  const [services, { WebhookService }] = await Promise.all([
    session.services(),
    import('../../webhooks/webhook.service.js'),
  ]);
  const workspace = await services.workspace(slugOrId);
  const webhooks = services.app.get(WebhookService, { strict: false });
  return { services, webhooks, workspaceId: workspace.id };
}

export function registerWebhookCommands(program: Command, run: Runner): void {
  program
    .command('webhooks:create')
    .description('Add a webhook endpoint and print its signing secret (shown once)')
    .argument('<workspace>', WORKSPACE_ARGUMENT)
    .requiredOption('--url <url>', 'where events are POSTed (https)')
    .requiredOption('--events <types>', EVENTS_HELP)
    .option('--description <text>', 'what the endpoint is for')
    .option('--enabled <on|off>', 'off: add it disabled', onOff)
    .action(
      run<EndpointOptions>(async (session, [slugOrId], options) => {
        const { CreateWebhookDto } = await import('../../webhooks/dto/webhook.dto.js');
        const input = await validated(
          CreateWebhookDto,
          {
            url: options.url,
            events: eventList(options.events),
            description: options.description,
            enabled: options.enabled,
          },
          OPTION_OF,
        );
        const { services, webhooks, workspaceId } = await open(session, slugOrId!);
        const created = await webhooks.create(workspaceId, input, services.actor);
        return { data: created, text: [...endpointFields(created), SECRET_NOTE] };
      }),
    );

  addPageOptions(
    program
      .command('webhooks:list')
      .description('List the webhook endpoints of a workspace')
      .argument('<workspace>', WORKSPACE_ARGUMENT),
  ).action(
    run<PageOptions>(async (session, [slugOrId], options) => {
      const page = await pageOptions(options);
      const { webhooks, workspaceId } = await open(session, slugOrId!);
      const endpoints = await webhooks.list(workspaceId, page);
      return {
        data: endpoints,
        text: [
          ...table(
            ['ID', 'ENABLED', 'EVENTS', 'URL'],
            endpoints.items.map((e) => [e.id, e.enabled ? 'yes' : 'no', e.events.join(','), e.url]),
          ),
          pageSummary(endpoints),
        ],
      };
    }),
  );

  program
    .command('webhooks:show')
    .description('Show one webhook endpoint')
    .argument('<workspace>', WORKSPACE_ARGUMENT)
    .argument('<id>', ENDPOINT_ARGUMENT)
    .action(
      run(async (session, [slugOrId, id]) => {
        const { webhooks, workspaceId } = await open(session, slugOrId!);
        const endpoint = await webhooks.get(workspaceId, id!);
        return { data: endpoint, text: endpointFields(endpoint) };
      }),
    );

  program
    .command('webhooks:update')
    .description('Change, enable or disable a webhook endpoint')
    .argument('<workspace>', WORKSPACE_ARGUMENT)
    .argument('<id>', ENDPOINT_ARGUMENT)
    .option('--url <url>', 'where events are POSTed (https)')
    .option('--events <types>', EVENTS_HELP)
    .option('--description <text>', 'what the endpoint is for')
    .option('--enabled <on|off>', 'off: send it nothing until on again', onOff)
    .action(
      run<EndpointOptions>(async (session, [slugOrId, id], options) => {
        const { UpdateWebhookDto } = await import('../../webhooks/dto/webhook.dto.js');
        const input = await validated(
          UpdateWebhookDto,
          {
            url: options.url,
            events: eventList(options.events),
            description: options.description,
            enabled: options.enabled,
          },
          OPTION_OF,
        );
        const { services, webhooks, workspaceId } = await open(session, slugOrId!);
        const updated = await webhooks.update(workspaceId, id!, input, services.actor);
        return { data: updated, text: endpointFields(updated) };
      }),
    );

  program
    .command('webhooks:delete')
    .description('Delete a webhook endpoint and its delivery log')
    .argument('<workspace>', WORKSPACE_ARGUMENT)
    .argument('<id>', ENDPOINT_ARGUMENT)
    .action(
      run(async (session, [slugOrId, id]) => {
        const { services, webhooks, workspaceId } = await open(session, slugOrId!);
        await webhooks.remove(workspaceId, id!, services.actor);
        return { data: { deleted: id }, text: `Deleted webhook endpoint ${id}.` };
      }),
    );

  program
    .command('webhooks:rotate-secret')
    .description('Replace the signing secret of an endpoint and print it (shown once)')
    .argument('<workspace>', WORKSPACE_ARGUMENT)
    .argument('<id>', ENDPOINT_ARGUMENT)
    .action(
      run(async (session, [slugOrId, id]) => {
        const { services, webhooks, workspaceId } = await open(session, slugOrId!);
        const rotated = await webhooks.rotateSecret(workspaceId, id!, services.actor);
        return { data: rotated, text: [...endpointFields(rotated), SECRET_NOTE] };
      }),
    );

  addPageOptions(
    program
      .command('webhooks:deliveries')
      .description("An endpoint's delivery log, newest first")
      .argument('<workspace>', WORKSPACE_ARGUMENT)
      .argument('<id>', ENDPOINT_ARGUMENT)
      .option('--status <status>', 'pending, delivered or failed'),
  ).action(
    run<PageOptions & { status?: string }>(async (session, [slugOrId, id], options) => {
      const { ListDeliveriesQuery } = await import('../../webhooks/dto/webhook.dto.js');
      const { pageOf } = await import('../api.js');
      const { limit, offset, status } = options;
      const query = await validated(
        ListDeliveriesQuery,
        { limit, offset, status },
        { ...PAGE_OPTION_NAMES, status: '--status' },
      );
      const { webhooks, workspaceId } = await open(session, slugOrId!);
      const page = await webhooks.deliveries(
        workspaceId,
        id!,
        { status: query.status },
        pageOf(query),
      );
      return {
        data: page,
        text: [
          ...table(
            ['CREATED', 'EVENT', 'STATUS', 'ATTEMPTS', 'LAST STATUS', 'LAST ERROR'],
            page.items.map((d) => [
              d.createdAt instanceof Date ? d.createdAt.toISOString() : String(d.createdAt),
              d.eventType,
              d.status,
              String(d.attempts),
              d.lastStatusCode === null ? '-' : String(d.lastStatusCode),
              d.lastError ?? '-',
            ]),
          ),
          pageSummary(page),
        ],
      };
    }),
  );
}
