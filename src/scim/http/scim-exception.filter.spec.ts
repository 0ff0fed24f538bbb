import { describe, expect, it } from '@jest/globals';
import { CommonException } from '../../common/app-exception.js';
import { ScimConnectionException } from '../connection/scim-connection.errors.js';
import { WorkspaceException, type WorkspaceErrorCode } from '../../workspace/workspace.errors.js';
import { AuthException } from '../../auth/auth.errors.js';
import { SCIM_MEANING_OF_CODE } from './scim-error-codes.js';
import { toScimError } from './scim-exception.filter.js';

const body = (error: unknown) => toScimError(error).toBody();

describe('SCIM errors by code (RFC 7644 §3.12)', () => {
  // Codes that a bare 409 used to map to `uniqueness`: a conflict with the resource's state is
  // no duplicate, and a read-only resource is mutability.
  it.each<[WorkspaceErrorCode, string, string | undefined]>([
    ['LAST_ADMIN', '409', undefined],
    ['MEMBER_DEACTIVATED', '409', undefined],
    ['SCIM_ONLY_PROVISIONING', '409', undefined],
    ['PASSWORD_ALREADY_SET', '409', undefined],
    ['INVITE_ALREADY_USED', '409', undefined],
    ['NO_SIGN_IN_METHOD', '409', undefined],
    ['NO_USABLE_SIGN_IN_METHOD', '409', undefined],
    ['SCIM_REQUIRES_SAML_ONLY', '409', undefined],
    ['SCIM_MANAGED', '400', 'mutability'],
  ])('%s is status %s, scimType %s (was 409 uniqueness)', (code, status, scimType) => {
    const error = body(new WorkspaceException(code, 'A sentence for humans.'));
    expect(error).toEqual({
      schemas: ['urn:ietf:params:scim:api:messages:2.0:Error'],
      status,
      ...(scimType && { scimType }),
      detail: 'A sentence for humans.',
    });
  });

  it.each<[WorkspaceErrorCode]>([
    ['EMAIL_TAKEN'],
    ['SCIM_USER_NAME_TAKEN'],
    ['GROUP_NAME_TAKEN'],
    ['SCIM_LINKED_ELSEWHERE'],
    ['ACCOUNT_NOT_AVAILABLE'],
    ['ALREADY_A_MEMBER'],
  ])('%s stays 409 uniqueness: a value taken by another resource', (code) => {
    expect(body(new WorkspaceException(code, 'Taken.'))).toMatchObject({
      status: '409',
      scimType: 'uniqueness',
    });
  });

  it('keeps what other codes meant: 404, 403, invalidValue', () => {
    expect(body(new WorkspaceException('GROUP_NOT_FOUND', 'x'))).toMatchObject({ status: '404' });
    expect(body(new WorkspaceException('ACCOUNT_MANAGED_ELSEWHERE', 'x'))).toMatchObject({
      status: '403',
    });
    expect(body(new WorkspaceException('DOMAIN_INVALID', 'x'))).toMatchObject({
      status: '400',
      scimType: 'invalidValue',
    });
    expect(body(new CommonException('VALUE_TOO_LONG', 'x'))).toMatchObject({
      status: '400',
      scimType: 'invalidValue',
    });
    expect(body(new CommonException('HEADERS_TOO_LARGE', 'x'))).toEqual(
      expect.not.objectContaining({ scimType: expect.anything() }),
    );
    expect(body(new ScimConnectionException('SCIM_NOT_ENABLED', 'x'))).toMatchObject({
      status: '404',
    });
  });

  it('a code the table lacks (a module whose errors do not reach SCIM) keeps its status', () => {
    expect(body(new AuthException('TOO_MANY_ATTEMPTS', 'Slow down.'))).toMatchObject({
      status: '429',
    });
    expect(body(new AuthException('INVALID_CREDENTIALS', 'No.'))).toMatchObject({ status: '401' });
  });

  it('gives every meaning a status RFC 7644 §3.12 pairs with it', () => {
    for (const [code, meaning] of Object.entries(SCIM_MEANING_OF_CODE)) {
      const error = toScimError(new WorkspaceException(code as WorkspaceErrorCode, 'x'));
      if ('scimType' in meaning) {
        expect([code, error.status]).toEqual([code, meaning.scimType === 'uniqueness' ? 409 : 400]);
      } else {
        expect([code, error.scimType]).toEqual([code, undefined]);
      }
    }
  });
});
