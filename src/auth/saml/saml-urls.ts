/** The URLs of our side of one SAML provider; the SP entity ID is its metadata URL. */
export function samlUrls(publicUrl: string, providerToken: string) {
  const base = `${publicUrl}/auth/saml/${providerToken}`;
  return {
    acsUrl: `${base}/acs`,
    spEntityId: `${base}/metadata`,
    spMetadataUrl: `${base}/metadata`,
    loginUrl: `${base}/login`,
  };
}
