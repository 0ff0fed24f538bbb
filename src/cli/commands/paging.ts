import type { Command } from 'commander';
import type { Page } from '../../common/paging.js';
import { validated } from '../input.js';

export interface PageOptions {
  limit?: string;
  offset?: string;
}

export const PAGE_OPTION_NAMES = { limit: '--limit', offset: '--offset' };

/** --limit and --offset, checked like the API's `?limit=&offset=`. */
export function addPageOptions(command: Command): Command {
  return command
    .option('--limit <n>', 'at most this many (1-200, default 50)')
    .option('--offset <n>', 'skip this many (default 0)');
}

export async function pageOptions(
  options: PageOptions,
): Promise<{ limit: number; offset: number }> {
  const { limit, offset } = options;
  const { PageQuery, pageOf } = await import('../api.js');
  return pageOf(await validated(PageQuery, { limit, offset }, PAGE_OPTION_NAMES));
}

/** `1-50 of 120`, or `none of 0`. */
export function pageSummary(page: Page<unknown>): string {
  const { items, offset, total } = page;
  const shown = items.length > 0 ? `${offset + 1}-${offset + items.length}` : 'none';
  return `${shown} of ${total}`;
}
