import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';

/** Whether a workspace has a SCIM connection, as seen inside `tx`. Implemented by the SCIM module. */
export interface ScimConnectionCheck {
  isEnabled(tx: EntityManager, workspaceId: string): Promise<boolean>;
}

/**
 * What the Workspace module asks about SCIM (the settings rules and warnings), registered by the
 * SCIM module when it starts: the Workspace module reads no SCIM table and imports nothing of
 * it. Without a SCIM module, no workspace has a connection.
 */
@Injectable()
export class ScimConnections {
  private check: ScimConnectionCheck | null = null;

  register(check: ScimConnectionCheck): void {
    if (this.check) throw new Error('A SCIM connection check is already registered');
    this.check = check;
  }

  isEnabled(tx: EntityManager, workspaceId: string): Promise<boolean> {
    return this.check?.isEnabled(tx, workspaceId) ?? Promise.resolve(false);
  }
}
