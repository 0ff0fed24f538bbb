import { EntityManager } from 'typeorm';
import { Workspace } from './entities/workspace.entity.js';
import { WorkspaceException } from './workspace.errors.js';

/**
 * Locks the workspace row for the rest of the transaction. Every change that must see a
 * consistent set of members (the last-admin rule, the SCIM-only lock) takes this lock first, so
 * two admins demoting each other at once cannot leave the workspace without one.
 *
 * FOR NO KEY UPDATE, not FOR UPDATE: holders still serialise with each other, but the key-share
 * lock a foreign-key check takes on the workspace row (inserting a membership, an audit record)
 * is not blocked by it, so writes that need no lock (a SCIM create) do not queue behind it.
 */
export async function lockWorkspace(tx: EntityManager, workspaceId: string): Promise<Workspace> {
  const workspace = await tx
    .getRepository(Workspace)
    .createQueryBuilder('w')
    .setLock('for_no_key_update')
    .where('w.id = :workspaceId', { workspaceId })
    .getOne();
  if (!workspace) throw new WorkspaceException('WORKSPACE_NOT_FOUND', 'No such workspace.');
  return workspace;
}
