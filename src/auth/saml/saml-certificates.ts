import { webcrypto, X509Certificate } from 'node:crypto';
import * as x509 from '@peculiar/x509';

x509.cryptoProvider.set(webcrypto as unknown as Crypto);

export class InvalidCertificateError extends Error {}

/**
 * A certificate as PEM, from PEM or the bare base64 of metadata. Throws InvalidCertificateError
 * saying what is wrong; `label` names it in the message ("idpCertificates[1]").
 */
export function normalizeCertificate(input: string, label: string): string {
  const body = input.replace(/-----(BEGIN|END) CERTIFICATE-----/g, '').replace(/\s+/g, '');
  if (!body || !/^[A-Za-z0-9+/]+={0,2}$/.test(body)) {
    throw new InvalidCertificateError(`${label} is not a PEM or base64 X.509 certificate`);
  }
  const pem = `-----BEGIN CERTIFICATE-----\n${body.match(/.{1,64}/g)!.join('\n')}\n-----END CERTIFICATE-----\n`;
  let certificate: X509Certificate;
  try {
    certificate = new X509Certificate(pem);
  } catch {
    throw new InvalidCertificateError(`${label} could not be parsed as an X.509 certificate`);
  }
  const keyType = certificate.publicKey.asymmetricKeyType;
  if (keyType !== 'rsa' && keyType !== 'ec') {
    throw new InvalidCertificateError(
      `${label} has a ${String(keyType)} key; SAML signing needs RSA or EC`,
    );
  }
  return pem;
}

export interface CertificateSummary {
  subject: string;
  notBefore: string;
  notAfter: string;
  expired: boolean;
  fingerprintSha256: string;
}

export function summarizeCertificate(pem: string, now = new Date()): CertificateSummary {
  const certificate = new X509Certificate(pem);
  return {
    subject: certificate.subject.replace(/\n/g, ', '),
    notBefore: new Date(certificate.validFrom).toISOString(),
    notAfter: new Date(certificate.validTo).toISOString(),
    expired: new Date(certificate.validTo) < now,
    fingerprintSha256: certificate.fingerprint256,
  };
}

/** A fresh RSA key pair and self-signed certificate for our side of one SAML provider. */
export async function generateSpKeyPair(
  commonName: string,
): Promise<{ privateKeyPem: string; certificatePem: string }> {
  const algorithm = {
    name: 'RSASSA-PKCS1-v1_5',
    hash: 'SHA-256',
    publicExponent: new Uint8Array([1, 0, 1]),
    modulusLength: 2048,
  };
  const keys = await webcrypto.subtle.generateKey(algorithm, true, ['sign', 'verify']);
  const now = Date.now();
  const certificate = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: Buffer.from(webcrypto.getRandomValues(new Uint8Array(16))).toString('hex'),
    name: `CN=${commonName.replace(/[,=+<>#;"\\]/g, ' ')}`,
    notBefore: new Date(now - 24 * 3600 * 1000),
    notAfter: new Date(now + 10 * 365 * 24 * 3600 * 1000),
    signingAlgorithm: algorithm,
    keys: keys,
  });
  const pkcs8 = await webcrypto.subtle.exportKey('pkcs8', keys.privateKey);
  const privateKeyPem = `-----BEGIN PRIVATE KEY-----\n${Buffer.from(pkcs8)
    .toString('base64')
    .match(/.{1,64}/g)!
    .join('\n')}\n-----END PRIVATE KEY-----\n`;
  return { privateKeyPem, certificatePem: certificate.toString('pem') + '\n' };
}
