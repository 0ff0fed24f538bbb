import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import {
  type MethodWithSetup,
  methodsWithSetup,
  type SignInReadiness,
} from '../sign-in-methods.js';

/**
 * Whether a workspace has what a sign-in method needs beyond its switch (SAML: an enabled
 * provider), as seen inside `tx`. Implemented by the module that owns the method.
 */
export interface SignInSetupCheck {
  isSetUp(tx: EntityManager, workspaceId: string): Promise<boolean>;
}

/**
 * The setup check of each sign-in method that has a setup rule (SIGN_IN_METHOD_TABLE), which
 * the owning modules register when they start: they import the Workspace module, so the
 * Workspace module reads none of their tables and imports none of them. A method whose module
 * registered nothing counts as not set up.
 */
@Injectable()
export class SignInSetups {
  private readonly checks = new Map<MethodWithSetup, SignInSetupCheck>();

  register(method: MethodWithSetup, check: SignInSetupCheck): void {
    if (this.checks.has(method)) throw new Error(`${method} already has a setup check`);
    this.checks.set(method, check);
  }

  isSetUp(tx: EntityManager, workspaceId: string, method: MethodWithSetup): Promise<boolean> {
    return this.checks.get(method)?.isSetUp(tx, workspaceId) ?? Promise.resolve(false);
  }

  /** Every method's answer, one after the other (one connection inside `tx`). */
  async readiness(tx: EntityManager, workspaceId: string): Promise<SignInReadiness> {
    const readiness: Partial<SignInReadiness> = {};
    for (const method of methodsWithSetup()) {
      readiness[method] = await this.isSetUp(tx, workspaceId, method);
    }
    return readiness as SignInReadiness;
  }
}
