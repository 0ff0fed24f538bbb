import { Injectable } from '@nestjs/common';
import { type Json, type ListQuery, listResponse } from '../protocol/list-query.js';
import { ScimError } from '../protocol/scim-error.js';
import { ScimGroups } from '../store/groups.resource.js';
import type { ScimResourceType } from '../store/scim-resource-type.js';
import { ScimUsers } from '../store/users.resource.js';

/**
 * Root search (RFC 7644 §3.4.3): Users then Groups, paged over both as one list. A filter naming
 * an attribute one type lacks matches nothing of that type; it is invalid only when it fits none.
 */
@Injectable()
export class ScimSearch {
  private readonly types: ScimResourceType[];

  constructor(users: ScimUsers, groups: ScimGroups) {
    this.types = [users, groups];
  }

  async search(workspaceId: string, query: ListQuery): Promise<Json> {
    // Each type's total first (count 0), so the page can start in the right one.
    const totals: (number | ScimError)[] = [];
    for (const type of this.types) {
      totals.push(await totalOf(type, workspaceId, query));
    }
    const [first] = totals;
    if (first instanceof ScimError && totals.every((t) => t instanceof ScimError)) throw first;
    const resources: Json[] = [];
    let skipped = 0;
    for (const [i, type] of this.types.entries()) {
      const total = totals[i];
      if (total instanceof ScimError || total === undefined) continue;
      const remaining = query.count - resources.length;
      const startIndex = Math.max(1, query.startIndex - skipped);
      skipped += total;
      if (remaining <= 0 || startIndex > total) continue;
      const page = await type.list(workspaceId, { ...query, startIndex, count: remaining });
      resources.push(...(page.Resources as Json[]));
    }
    return listResponse(resources, skipped, query);
  }
}

/** A type's total for the query; an invalidFilter (an attribute it lacks) is kept, not thrown. */
async function totalOf(
  type: ScimResourceType,
  workspaceId: string,
  query: ListQuery,
): Promise<number | ScimError> {
  try {
    const page = await type.list(workspaceId, { ...query, count: 0, startIndex: 1 });
    return page.totalResults as number;
  } catch (error) {
    if (error instanceof ScimError && error.scimType === 'invalidFilter') return error;
    throw error;
  }
}
