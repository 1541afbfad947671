// Subscribing, confirming, changing preferences and leaving, without HTTP. Mail is never sent from here
// directly: messages go into the outbox in the same transaction as the change that calls for them, and
// the caller may then ask a sender to deliver that row at once.
import type { Config } from '../config.ts';
import type { Db, Queryable } from '../db/client.ts';
import { enqueueMessages, type OutboxHooks } from '../mail/outbox.ts';
import { checkLinkToken, mailDomain, messageIdFor, subscriptionLinks, type LinkPurpose } from './links.ts';
import { confirmationMessage, manageLinkMessage } from './messages.ts';
import {
  cancelUnwantedDigests,
  confirmSubscription,
  getSubscription,
  recentMailTo,
  recordPermanentFailure,
  releaseSentPapers,
  resetFailures,
  savePreferences,
  setStatus,
  upsertPending,
} from './subscriptions.repository.ts';
import type { Preferences, Subscription } from './subscription.ts';

export interface SubscriptionDeps {
  db: Db;
  config: Pick<Config, 'publicUrl' | 'secretKey' | 'mailFrom'>;
  clock: () => Date;
}

/** Per-address limits on the mail the subscribe form can cause. */
export const ADDRESS_LIMITS = {
  /** Least time between two such messages to one address. */
  minIntervalMs: 60_000,
  /** At most this many in `windowMs`. */
  max: 5,
  windowMs: 24 * 3600_000,
};

const FORM_MAIL_KINDS = ['confirm', 'manage-link'];

export type SubscribeOutcome =
  | { kind: 'queued'; outboxId: number; subscriptionId: number }
  | { kind: 'rate-limited'; retryAfterSeconds: number };

class RateLimited extends Error {
  constructor(readonly retryAfterSeconds: number) {
    super('rate limited');
  }
}

/**
 * Someone asks for digests at `email` (already normalised). A new, unsubscribed or bouncing address gets
 * a confirmation message; a pending one gets it again; a confirmed or paused one gets its preferences
 * link. The caller shows the same page in every case, so the form never tells whether an address is
 * subscribed. Refused (nothing changes) when the address had too much mail from this form lately.
 */
export async function requestSubscription(deps: SubscriptionDeps, email: string, limits = ADDRESS_LIMITS): Promise<SubscribeOutcome> {
  const now = deps.clock();
  try {
    return await deps.db.transaction(async (tx) => {
      // The upsert locks the address's row first, so two requests at once are counted one after the other.
      const { subscription: sub } = await upsertPending(tx, email, now);
      const recent = await recentMailTo(tx, email, FORM_MAIL_KINDS, new Date(now.getTime() - limits.windowMs));
      if (recent.last && now.getTime() - recent.last.getTime() < limits.minIntervalMs) {
        throw new RateLimited(Math.ceil((limits.minIntervalMs - (now.getTime() - recent.last.getTime())) / 1000));
      }
      if (recent.count >= limits.max) throw new RateLimited(Math.ceil(limits.windowMs / 4 / 1000));
      const links = subscriptionLinks(deps.config, sub, now);
      const isPending = sub.status === 'pending';
      const kind = isPending ? 'confirm' : 'manage-link';
      const message = isPending
        ? confirmationMessage({ email, confirmUrl: links.confirm, publicUrl: deps.config.publicUrl })
        : manageLinkMessage({ email, manageUrl: links.manage, unsubscribeUrl: links.unsubscribe, publicUrl: deps.config.publicUrl });
      const key = `${kind}:${sub.id}:${now.getTime()}`;
      const ids = await enqueueMessages(
        tx,
        [
          {
            idempotencyKey: key,
            kind,
            subscriptionId: sub.id,
            recipient: email,
            subject: message.subject,
            text: message.text,
            html: message.html,
            messageId: messageIdFor(key, mailDomain(deps.config.mailFrom, deps.config.publicUrl), deps.config.secretKey),
            // A confirmation that cannot be delivered within a day is of no use to anyone.
            expiresAt: new Date(now.getTime() + 24 * 3600_000),
          },
        ],
        now,
      );
      return { kind: 'queued' as const, outboxId: ids.get(key)!, subscriptionId: sub.id };
    });
  } catch (err) {
    if (err instanceof RateLimited) return { kind: 'rate-limited', retryAfterSeconds: err.retryAfterSeconds };
    throw err;
  }
}

export type LinkResult =
  | { ok: true; subscription: Subscription }
  | { ok: false; reason: 'invalid' | 'expired' | 'gone' };

/** The subscription a signed link is for, if the link is genuine, current and the row still exists. */
export async function subscriptionFromLink(deps: SubscriptionDeps, token: unknown, purpose: LinkPurpose): Promise<LinkResult> {
  const check = checkLinkToken(deps.config, token, purpose, deps.clock());
  if (!check.ok) return { ok: false, reason: check.reason === 'expired' ? 'expired' : 'invalid' };
  const sub = await getSubscription(deps.db, check.id!);
  // A forgotten address, or one whose links were revoked (token version bumped).
  if (!sub || sub.tokenVersion !== check.version) return { ok: false, reason: 'gone' };
  return { ok: true, subscription: sub };
}

/** Confirms the address a confirmation link is for (a second click changes nothing). */
export async function confirmFromLink(deps: SubscriptionDeps, token: unknown): Promise<LinkResult> {
  const found = await subscriptionFromLink(deps, token, 'confirm');
  if (!found.ok) return found;
  const sub = await confirmSubscription(deps.db, found.subscription.id, deps.clock());
  return sub ? { ok: true, subscription: sub } : { ok: false, reason: 'gone' };
}

export async function updatePreferences(deps: SubscriptionDeps, id: number, prefs: Preferences): Promise<Subscription | null> {
  return savePreferences(deps.db, id, prefs, deps.clock());
}

export async function pauseSubscription(deps: SubscriptionDeps, id: number): Promise<Subscription | null> {
  return setStatus(deps.db, id, 'paused', deps.clock());
}

export async function resumeSubscription(deps: SubscriptionDeps, id: number): Promise<Subscription | null> {
  return setStatus(deps.db, id, 'confirmed', deps.clock());
}

/** Unsubscribes, and cancels any digest still waiting in the outbox for this address. */
export async function unsubscribe(deps: SubscriptionDeps, id: number): Promise<Subscription | null> {
  const sub = await setStatus(deps.db, id, 'unsubscribed', deps.clock());
  await cancelUnwantedDigests(deps.db);
  return sub;
}

/**
 * Subscribes an address that is already proven: a signed-in member's, who signed in with a link sent
 * to it. No confirmation message is needed (double opt-in is what the sign-in link did); a paused or
 * confirmed subscription is left as it is. Returns the subscription.
 */
export async function subscribeVerified(deps: SubscriptionDeps, email: string): Promise<Subscription> {
  const now = deps.clock();
  return deps.db.transaction(async (tx) => {
    const { subscription } = await upsertPending(tx, email, now);
    return (await confirmSubscription(tx, subscription.id, now)) ?? subscription;
  });
}

/** What the outbox sender does to subscriptions as their mail is delivered or fails. */
export function subscriptionOutboxHooks(clock: () => Date): OutboxHooks {
  return {
    cancelUnwanted: (db: Queryable) => cancelUnwantedDigests(db),
    async onSent(tx, row) {
      if (row.subscriptionId !== null) await resetFailures(tx, row.subscriptionId);
    },
    async onFailed(tx, row, error, permanent) {
      if (row.kind === 'digest') await releaseSentPapers(tx, row.id);
      // Only a permanent refusal says something about the address; a server that was down does not.
      if (permanent && row.subscriptionId !== null) await recordPermanentFailure(tx, row.subscriptionId, error.message, clock());
    },
  };
}
