import { isConsumerMailDomain } from './consumer-domains.js';
import { challengeRecordName, claimableDomainName, normalizeDomainName } from './domain-name.js';
import { WorkspaceException } from './workspace.errors.js';

function failureOf(work: () => unknown): WorkspaceException {
  try {
    work();
  } catch (error) {
    if (error instanceof WorkspaceException) return error;
    throw error;
  }
  throw new Error('expected a WorkspaceException');
}

describe('normalizeDomainName', () => {
  describe('successful cases', () => {
    it.each([
      ['acme.com', 'acme.com'],
      ['  ACME.Com  ', 'acme.com'],
      ['acme.com.', 'acme.com'],
      ['eu.mail.acme.co.uk', 'eu.mail.acme.co.uk'],
      ['my-company.io', 'my-company.io'],
      ['123.example', '123.example'],
      ['bücher.de', 'xn--bcher-kva.de'],
      ['BÜCHER.DE', 'xn--bcher-kva.de'],
      ['xn--bcher-kva.de', 'xn--bcher-kva.de'],
      ['例え.jp', 'xn--r8jz45g.jp'],
      ['acme。com', 'acme.com'],
      ['ｅｘａｍｐｌｅ.com', 'example.com'],
    ])('%j → %s', (input, expected) => {
      expect(normalizeDomainName(input)).toBe(expected);
    });

    it('accepts 63-character labels and 253 characters in all', () => {
      const label = 'a'.repeat(63);
      const domain = `${label}.${label}.${label}.${'b'.repeat(57)}.com`;
      expect(domain).toHaveLength(253);
      expect(normalizeDomainName(domain)).toBe(domain);
    });
  });

  describe('failing cases', () => {
    const refusals: [string, RegExp][] = [
      ['', /Give a domain name/],
      ['   ', /Give a domain name/],
      ['https://acme.com', /without a scheme/],
      ['HTTP://acme.com', /without a scheme/],
      ['acme.com/x', /without a path/],
      ['acme.com?x=1', /without a path/],
      ['acme.com:8080', /without a port/],
      ['ada@acme.com', /not an email address/],
      ['*.acme.com', /wildcards/],
      ['acme', /at least two labels/],
      ['acme.com..', /empty label/],
      ['a..b.com', /empty label/],
      ['.acme.com', /empty label/],
      ['acme .com', /spaces/],
      ['-acme.com', /hyphen/],
      ['acme-.com', /hyphen/],
      ['ac_me.com', /letters, digits and hyphens/],
      ['1.2.3.4', /IP addresses/],
      ['0x7f.1', /IP addresses/],
      ['[::1]', /port/],
      ['xn--zz.com', /not a host name/],
      [`${'a'.repeat(64)}.com`, /at most 63/],
      [`${`${'a'.repeat(60)}.`.repeat(5)}com`, /at most 253/],
      ['x'.repeat(2000), /at most 253/],
    ];
    const shown = (input: string) => (input.length > 40 ? `${input.length} characters` : input);
    it.each(refusals.map(([input, message]) => [shown(input), input, message] as const))(
      'refuses %j',
      (_title, input, message) => {
        const error = failureOf(() => normalizeDomainName(input));
        expect(error.code).toBe('DOMAIN_INVALID');
        expect(error.status).toBe(400);
        expect(error.message).toMatch(message);
      },
    );

    it('shortens a very long input in the message', () => {
      const error = failureOf(() => normalizeDomainName(`${'a'.repeat(300)}.com`));
      expect(error.message.length).toBeLessThan(250);
    });
  });
});

describe('claimableDomainName', () => {
  it('returns the normalised domain of an organisation', () => {
    expect(claimableDomainName(' Acme.COM. ')).toBe('acme.com');
  });

  it.each(['gmail.com', 'GMAIL.COM', 'mail.gmail.com', 'hotmail.co.uk', 'proton.me', 'gmail.com.'])(
    'refuses the consumer mail domain %j',
    (input) => {
      const error = failureOf(() => claimableDomainName(input));
      expect(error.code).toBe('CONSUMER_DOMAIN');
      expect(error.status).toBe(400);
    },
  );

  it('checks validity before the consumer list', () => {
    expect(failureOf(() => claimableDomainName('https://gmail.com')).code).toBe('DOMAIN_INVALID');
  });

  it('does not refuse domains that merely contain a consumer domain', () => {
    expect(claimableDomainName('notgmail.com')).toBe('notgmail.com');
    expect(claimableDomainName('gmail.com.acme.io')).toBe('gmail.com.acme.io');
  });
});

describe('isConsumerMailDomain', () => {
  it('matches the domain and its subdomains only', () => {
    expect(isConsumerMailDomain('yahoo.co.uk')).toBe(true);
    expect(isConsumerMailDomain('eu.yahoo.co.uk')).toBe(true);
    expect(isConsumerMailDomain('co.uk')).toBe(false);
    expect(isConsumerMailDomain('acme.com')).toBe(false);
  });
});

describe('challengeRecordName', () => {
  it('prefixes the challenge label', () => {
    expect(challengeRecordName('acme.com')).toBe('_gatehouse-challenge.acme.com');
  });
});
