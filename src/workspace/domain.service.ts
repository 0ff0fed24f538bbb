import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import type { AuditActor } from './actor.js';
import { Page } from '../common/paging.js';
import { randomToken } from '../common/secret-tokens.js';
import { isUniqueViolation } from '../database/database-errors.js';
import { AuditService } from './audit.service.js';
import { DNS_RESOLVER, type DnsResolver } from './dns-resolver.js';
import { challengeRecordName, claimableDomainName, normalizeDomainName } from './domain-name.js';
import { ClaimedDomain, ClaimedDomainStatus } from './entities/claimed-domain.entity.js';
import { WorkspaceException } from './workspace.errors.js';

/** A claimed domain as the admin API shows it, with the DNS record that proves it. */
export interface DomainView {
  domain: string;
  status: ClaimedDomainStatus;
  verification: { type: 'TXT'; name: string; value: string };
  createdAt: Date;
  verifiedAt: Date | null;
  lastCheckedAt: Date | null;
}

const WORKSPACE_DOMAIN_KEY = 'claimed_domains_workspace_id_domain_key';
const VERIFIED_DOMAIN_KEY = 'claimed_domains_verified_key';

function toView(claim: ClaimedDomain): DomainView {
  return {
    domain: claim.domain,
    status: claim.status,
    verification: verificationRecord(claim),
    createdAt: claim.createdAt,
    verifiedAt: claim.verifiedAt,
    lastCheckedAt: claim.lastCheckedAt,
  };
}

function verificationRecord(claim: Pick<ClaimedDomain, 'domain' | 'verificationToken'>) {
  return {
    type: 'TXT' as const,
    name: challengeRecordName(claim.domain),
    value: claim.verificationToken,
  };
}

const notFound = () =>
  new WorkspaceException('DOMAIN_NOT_FOUND', 'This workspace has not claimed that domain.');

const claimedElsewhere = (domain: string) =>
  new WorkspaceException(
    'DOMAIN_ALREADY_CLAIMED',
    `${domain} is already verified by another workspace.`,
  );

/**
 * Domains a workspace claims. Several workspaces may hold a pending claim on one domain; proving
 * control through DNS verifies it for one workspace only (a partial unique index enforces it).
 */
@Injectable()
export class DomainService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly audit: AuditService,
    @Inject(DNS_RESOLVER) private readonly dns: DnsResolver,
  ) {}

  async list(
    workspaceId: string,
    page: { limit: number; offset: number },
  ): Promise<Page<DomainView>> {
    const [rows, total] = await this.dataSource.getRepository(ClaimedDomain).findAndCount({
      where: { workspaceId },
      order: { domain: 'ASC' },
      take: page.limit,
      skip: page.offset,
    });
    return { items: rows.map(toView), total, ...page };
  }

  async get(workspaceId: string, domain: string): Promise<DomainView> {
    return toView(await this.findClaim(this.dataSource.manager, workspaceId, domain));
  }

  async add(workspaceId: string, input: string, actor: AuditActor): Promise<DomainView> {
    const domain = claimableDomainName(input);
    try {
      return await this.dataSource.transaction(async (tx) => {
        const own = await tx.findOneBy(ClaimedDomain, { workspaceId, domain });
        if (own) throw alreadyAdded(domain);
        const verifiedElsewhere = await tx.existsBy(ClaimedDomain, { domain, status: 'verified' });
        if (verifiedElsewhere) throw claimedElsewhere(domain);
        const claim = await tx.save(
          tx.create(ClaimedDomain, {
            workspaceId,
            domain,
            status: 'pending',
            verificationToken: randomToken(24),
          }),
        );
        await this.audit.record(tx, workspaceId, actor, {
          action: 'domain.added',
          targetType: 'domain',
          targetId: domain,
          after: { domain, status: claim.status },
        });
        return toView(claim);
      });
    } catch (error) {
      if (isUniqueViolation(error, WORKSPACE_DOMAIN_KEY)) throw alreadyAdded(domain);
      throw error;
    }
  }

  /**
   * Checks the TXT record `_gatehouse-challenge.<domain>` (or skips the check when `force`, which
   * the caller allows for the internal token only). Verifying a verified domain changes nothing.
   */
  async verify(
    workspaceId: string,
    domainParam: string,
    options: { force: boolean },
    actor: AuditActor,
  ): Promise<DomainView> {
    const claim = await this.findClaim(this.dataSource.manager, workspaceId, domainParam);
    if (claim.status === 'verified') return toView(claim);
    const verifiedElsewhere = await this.dataSource
      .getRepository(ClaimedDomain)
      .existsBy({ domain: claim.domain, status: 'verified' });
    if (verifiedElsewhere) throw claimedElsewhere(claim.domain);
    if (!options.force) {
      const found = await this.lookUpChallenge(claim);
      if (!found.matched) {
        await this.dataSource
          .getRepository(ClaimedDomain)
          .update({ id: claim.id }, { lastCheckedAt: () => 'now()' });
        const record = verificationRecord(claim);
        throw new WorkspaceException(
          'DOMAIN_VERIFICATION_FAILED',
          `Could not verify ${claim.domain}: ${found.reason} Add a TXT record named ${record.name} with the value ${record.value}, then try again (DNS changes can take a while to appear).`,
          { verification: record },
        );
      }
    }
    try {
      return await this.dataSource.transaction(async (tx) => {
        const [rows] = await tx.query<[{ id: string }[], number]>(
          `UPDATE claimed_domains
              SET status = 'verified', verified_at = now(), last_checked_at = now()
            WHERE id = $1 AND status = 'pending'
        RETURNING id`,
          [claim.id],
        );
        const current = await this.findClaim(tx, workspaceId, claim.domain);
        if (rows.length === 0) return toView(current); // verified by a concurrent request
        await this.audit.record(tx, workspaceId, actor, {
          action: 'domain.verified',
          targetType: 'domain',
          targetId: claim.domain,
          before: { status: 'pending' },
          after: { status: 'verified' },
          details: { method: options.force ? 'forced' : 'dns' },
        });
        return toView(current);
      });
    } catch (error) {
      if (isUniqueViolation(error, VERIFIED_DOMAIN_KEY)) throw claimedElsewhere(claim.domain);
      throw error;
    }
  }

  async remove(workspaceId: string, domainParam: string, actor: AuditActor): Promise<void> {
    await this.dataSource.transaction(async (tx) => {
      const claim = await this.findClaim(tx, workspaceId, domainParam);
      await tx.delete(ClaimedDomain, { id: claim.id });
      await this.audit.record(tx, workspaceId, actor, {
        action: 'domain.removed',
        targetType: 'domain',
        targetId: claim.domain,
        before: { domain: claim.domain, status: claim.status },
      });
    });
  }

  /**
   * True when `domain` (e.g. the part of an email after `@`) is a verified claimed domain of the
   * workspace. Exact match only: a verified `acme.com` does not vouch for `eu.acme.com`.
   */
  async isVerifiedDomainOf(workspaceId: string, domain: string): Promise<boolean> {
    let normalized: string;
    try {
      normalized = normalizeDomainName(domain);
    } catch {
      return false;
    }
    return this.dataSource
      .getRepository(ClaimedDomain)
      .existsBy({ workspaceId, domain: normalized, status: 'verified' });
  }

  /** The claim of this workspace on `domain` (any spelling); 404 when there is none. */
  private async findClaim(
    manager: EntityManager,
    workspaceId: string,
    domain: string,
  ): Promise<ClaimedDomain> {
    let normalized: string;
    try {
      normalized = normalizeDomainName(domain);
    } catch {
      throw notFound();
    }
    const claim = await manager.findOneBy(ClaimedDomain, { workspaceId, domain: normalized });
    if (!claim) throw notFound();
    return claim;
  }

  private async lookUpChallenge(
    claim: ClaimedDomain,
  ): Promise<{ matched: true } | { matched: false; reason: string }> {
    const name = challengeRecordName(claim.domain);
    let records: string[][];
    try {
      records = await this.dns.resolveTxt(name);
    } catch (error) {
      const code = (error as { code?: unknown }).code;
      if (code === 'ENOTFOUND' || code === 'ENODATA') {
        return { matched: false, reason: `there is no TXT record at ${name}.` };
      }
      return {
        matched: false,
        reason: `the DNS lookup of ${name} failed (${typeof code === 'string' ? code : 'error'}).`,
      };
    }
    const matched = records.some((chunks) => chunks.join('').trim() === claim.verificationToken);
    return matched
      ? { matched: true }
      : { matched: false, reason: `the TXT records at ${name} do not hold the expected value.` };
  }
}

function alreadyAdded(domain: string): WorkspaceException {
  return new WorkspaceException(
    'DOMAIN_ALREADY_ADDED',
    `${domain} is already claimed by this workspace.`,
  );
}
