import { SecretBox } from '../../common/secret-box.js';

/** What the browser carries (sealed) between the login redirect and the callback. */
export interface FlowState {
  v: 1;
  workspaceId: string;
  state: string;
  nonce: string;
  codeVerifier: string;
  redirect: string;
  /** Epoch milliseconds. */
  expiresAt: number;
}

/**
 * Seals a sign-in's flow state for its cookie and opens it again: AES-256-GCM (SecretBox) under
 * a key derived from SECRET_KEY for one method's flows only (its key purpose), so the browser
 * can neither read nor forge it, and one method's cookie does not open as another's.
 */
export class OidcFlowStates {
  private readonly boxes = new Map<string, SecretBox>();

  /** `previousSecretKeys`: a sign-in started before a SECRET_KEY rotation still completes. */
  constructor(
    private readonly secretKey: string,
    private readonly previousSecretKeys: readonly string[] = [],
  ) {}

  seal(purpose: string, flow: FlowState): string {
    return this.box(purpose).seal(JSON.stringify(flow));
  }

  /** The flow state, or null when the cookie was not sealed here, is malformed or expired. */
  open(purpose: string, sealed: string): FlowState | null {
    const json = this.box(purpose).open(sealed);
    if (json === null) return null;
    let flow: Partial<FlowState>;
    try {
      flow = JSON.parse(json) as Partial<FlowState>;
    } catch {
      return null;
    }
    const valid =
      flow.v === 1 &&
      typeof flow.workspaceId === 'string' &&
      typeof flow.state === 'string' &&
      typeof flow.nonce === 'string' &&
      typeof flow.codeVerifier === 'string' &&
      typeof flow.redirect === 'string' &&
      typeof flow.expiresAt === 'number' &&
      flow.expiresAt > Date.now();
    return valid ? (flow as FlowState) : null;
  }

  private box(purpose: string): SecretBox {
    let box = this.boxes.get(purpose);
    if (!box) {
      box = new SecretBox(this.secretKey, purpose, this.previousSecretKeys);
      this.boxes.set(purpose, box);
    }
    return box;
  }
}
