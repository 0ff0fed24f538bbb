import { type FlowState, OidcFlowStates } from './oidc-flow-state.js';

describe('OidcFlowStates across a SECRET_KEY rotation', () => {
  const oldKey = 'o'.repeat(40);
  const newKey = 'n'.repeat(40);
  const flow = (): FlowState => ({
    v: 1,
    workspaceId: 'ws',
    state: 'state',
    nonce: 'nonce',
    codeVerifier: 'verifier',
    redirect: '/',
    expiresAt: Date.now() + 60_000,
  });

  it('opens a flow cookie sealed before the switch while the old key is a previous one', () => {
    const sealed = new OidcFlowStates(oldKey).seal('office365-flow', flow());
    expect(new OidcFlowStates(newKey, [oldKey]).open('office365-flow', sealed)).toMatchObject({
      state: 'state',
      nonce: 'nonce',
    });
  });

  it('refuses it once the old key is gone, and under another method’s purpose', () => {
    const sealed = new OidcFlowStates(oldKey).seal('office365-flow', flow());
    expect(new OidcFlowStates(newKey).open('office365-flow', sealed)).toBeNull();
    expect(new OidcFlowStates(newKey, [oldKey]).open('oidc-flow', sealed)).toBeNull();
  });
});
