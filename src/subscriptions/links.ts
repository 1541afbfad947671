// The signed links of a subscription (absolute, from PUBLIC_URL), and the Message-IDs of its mail. Pure.
import { createHash } from 'node:crypto';
import { CONFIRM_LINK_DAYS, MANAGE_LINK_DAYS, type Subscription } from './subscription.ts';
import { signToken, verifyToken, type TokenCheck } from './tokens.ts';

export interface LinkConfig {
  publicUrl: string;
  secretKey: string;
}

export type LinkPurpose = 'confirm' | 'manage' | 'unsubscribe';

const DAY_MS = 86_400_000;
const LIFETIME_DAYS: Record<LinkPurpose, number> = { confirm: CONFIRM_LINK_DAYS, manage: MANAGE_LINK_DAYS, unsubscribe: MANAGE_LINK_DAYS };

/** Paths of the pages the links open (the token follows). */
export const LINK_PATHS: Record<LinkPurpose, string> = {
  confirm: '/subscribe/confirm/',
  manage: '/subscription/',
  unsubscribe: '/unsubscribe/',
};

export function linkToken(config: LinkConfig, sub: Pick<Subscription, 'id' | 'tokenVersion'>, purpose: LinkPurpose, now: Date): string {
  return signToken(config.secretKey, {
    purpose,
    subject: String(sub.id),
    version: sub.tokenVersion,
    expiresAt: new Date(now.getTime() + LIFETIME_DAYS[purpose] * DAY_MS),
  });
}

export function subscriptionLink(config: LinkConfig, sub: Pick<Subscription, 'id' | 'tokenVersion'>, purpose: LinkPurpose, now: Date): string {
  return `${config.publicUrl}${LINK_PATHS[purpose]}${linkToken(config, sub, purpose, now)}`;
}

export interface SubscriptionLinks {
  confirm: string;
  manage: string;
  unsubscribe: string;
}

export function subscriptionLinks(config: LinkConfig, sub: Pick<Subscription, 'id' | 'tokenVersion'>, now: Date): SubscriptionLinks {
  return {
    confirm: subscriptionLink(config, sub, 'confirm', now),
    manage: subscriptionLink(config, sub, 'manage', now),
    unsubscribe: subscriptionLink(config, sub, 'unsubscribe', now),
  };
}

/** Checks a link token; the subscription id when the signature, purpose and expiry are right. */
export function checkLinkToken(config: LinkConfig, token: unknown, purpose: LinkPurpose, now: Date): TokenCheck & { id?: number } {
  const r = verifyToken(config.secretKey, token, purpose, now);
  if (!r.ok) return r;
  if (!/^\d{1,15}$/.test(r.subject)) return { ok: false, reason: 'malformed' };
  return { ...r, id: Number(r.subject) };
}

/** The domain of the From address (MAIL_FROM), for Message-IDs; falls back to PUBLIC_URL's host. */
export function mailDomain(mailFrom: string, publicUrl: string): string {
  const m = /@([A-Za-z0-9.-]+)>?\s*$/.exec(mailFrom);
  return m ? m[1].toLowerCase() : new URL(publicUrl).hostname.replace(/[^A-Za-z0-9.-]/g, '') || 'paperpulse.invalid';
}

/**
 * The Message-ID of an outbox message, derived from its idempotency key: every attempt to send the same
 * message carries the same id, so a receiver that already has it can recognise a repeat. The secret
 * makes ids of two installations differ.
 */
export function messageIdFor(idempotencyKey: string, domain: string, secretKey: string): string {
  const readable = idempotencyKey.replace(/[^A-Za-z0-9-]+/g, '.').slice(0, 60);
  const hash = createHash('sha256').update(`${secretKey}\0${idempotencyKey}`).digest('hex').slice(0, 16);
  return `<${readable}.${hash}@${domain}>`;
}
