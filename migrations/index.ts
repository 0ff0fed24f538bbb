import { InitialSchema1764380000000 } from './1764380000000-initial-schema.js';
import { SamlProviders1764390000000 } from './1764390000000-saml-providers.js';
import { Scim1764400000000 } from './1764400000000-scim.js';
import { MailOutbox1764500000000 } from './1764500000000-mail-outbox.js';
import { AccountOwnership1764510000000 } from './1764510000000-account-ownership.js';
import { ExternalIdentities1764520000000 } from './1764520000000-external-identities.js';
import { MemberRemovals1764530000000 } from './1764530000000-member-removals.js';
import { AdminCountIndex1764550000000 } from './1764550000000-admin-count-index.js';
import { MembershipEmail1764560000000 } from './1764560000000-membership-email.js';
import { MembershipUserName1764540000000 } from './1764540000000-membership-user-name.js';
import { Versions1764570000000 } from './1764570000000-versions.js';
import { MemberCounts1764580000000 } from './1764580000000-member-counts.js';
import { OidcSignIn1764600000000 } from './1764600000000-oidc-sign-in.js';
import { Webhooks1764610000000 } from './1764610000000-webhooks.js';
import { JustInTimeSources1764620000000 } from './1764620000000-just-in-time-sources.js';

/** Every migration in order. Append new ones; never edit one that has landed. */
export const migrations = [
  InitialSchema1764380000000,
  SamlProviders1764390000000,
  Scim1764400000000,
  MailOutbox1764500000000,
  AccountOwnership1764510000000,
  ExternalIdentities1764520000000,
  MemberRemovals1764530000000,
  MembershipUserName1764540000000,
  AdminCountIndex1764550000000,
  MembershipEmail1764560000000,
  Versions1764570000000,
  MemberCounts1764580000000,
  OidcSignIn1764600000000,
  Webhooks1764610000000,
  JustInTimeSources1764620000000,
];
