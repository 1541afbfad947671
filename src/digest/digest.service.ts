// Digests in three steps, like arxiv-sanity's send_emails: compose (pure, compose.ts), render (pure,
// render.ts), then send through the outbox. planDigests() composes for every confirmed subscriber of a
// frequency and writes one outbox row per subscriber and period (idempotency key
// 'digest:<subscription id>:<period key>'), recording the papers in the same transaction; a dry run
// stops before writing. The row holds the subject, the list headers and what the body is made of
// (content.ts), not the rendered body: the outbox sender (createDigestSender) renders each message right
// before sending it, each paper's entry once for all the digests that hold it.
//
// Subscribers with the same preferences and no history among the period's papers (most of them) share
// one composition (createComposer).
import type { Config } from '../config.ts';
import type { Db } from '../db/client.ts';
import type { Logger } from '../log.ts';
import { silentLogger } from '../log.ts';
import type { Mailer } from '../mail/mailer.ts';
import { enqueueMessages, OutboxSender, type OutboxHooks, type OutboxMessage, type SenderOptions } from '../mail/outbox.ts';
import { mailDomain, messageIdFor, subscriptionLink } from '../subscriptions/links.ts';
import { listConfirmed, recordSentPapers, sentPapers } from '../subscriptions/subscriptions.repository.ts';
import { subscriptionOutboxHooks } from '../subscriptions/subscriptions.service.ts';
import type { Frequency, Subscription } from '../subscriptions/subscription.ts';
import { createComposer, prepareCandidates, type DigestCandidate } from './compose.ts';
import { digestContent, digestRenderer, type DigestContent } from './content.ts';
import { candidatePapers, existingKeys, RESET_FAILURES_OF_SENT } from './digest.repository.ts';
import type { DigestPeriod } from './period.ts';
import { DigestRenderCache, digestHeaders, digestSubject, renderDigest, type RenderedDigest } from './render.ts';

export interface DigestDeps {
  db: Db;
  config: Pick<Config, 'publicUrl' | 'secretKey' | 'mailFrom'>;
  clock: () => Date;
  log?: Logger;
}

/** How long a planned digest may wait for delivery before it is given up (a stale digest is noise). */
export const DIGEST_LIFETIME_MS: Record<Frequency, number> = { daily: 24 * 3600_000, weekly: 3 * 24 * 3600_000 };
/** Subscribers composed and written per transaction. */
export const PLAN_BATCH = 1000;

export const digestKey = (subscriptionId: number, period: DigestPeriod) => `digest:${subscriptionId}:${period.key}`;

export interface DigestPreview {
  email: string;
  papers: string[];
  subject: string;
  /** The rendered message (dry runs with `withMessages`). */
  message?: RenderedDigest;
}

export interface PlanSummary {
  period: DigestPeriod;
  /** Papers listed in the period. */
  candidates: number;
  /** Confirmed subscribers of this frequency (those asked for, with `onlyEmail`). */
  subscribers: number;
  /** Digests written to the outbox now (or that would be, in a dry run). */
  planned: number;
  /** Subscribers whose digest for this period was planned before. */
  alreadyPlanned: number;
  /** Subscribers with no matching paper left: nothing is sent to them. */
  empty: number;
  previews: DigestPreview[];
}

export interface PlanOptions {
  period: DigestPeriod;
  dryRun?: boolean;
  /** Only this (normalised) address. */
  onlyEmail?: string;
  /** Keep the rendered messages in previews (dry runs). */
  withMessages?: boolean;
  batchSize?: number;
}

/** Composes, renders and (unless dry) enqueues the digests of a period. Safe to run again: nothing doubles. */
export async function planDigests(deps: DigestDeps, opts: PlanOptions): Promise<PlanSummary> {
  const { period } = opts;
  const log = deps.log ?? silentLogger;
  const candidates = await candidatePapers(deps.db, period);
  const summary: PlanSummary = { period, candidates: candidates.length, subscribers: 0, planned: 0, alreadyPlanned: 0, empty: 0, previews: [] };
  const prepared = prepareCandidates(candidates);
  const compose = createComposer(prepared, period);
  const renderCache = new DigestRenderCache();
  const paperIds = candidates.map((c) => c.id);
  const domain = mailDomain(deps.config.mailFrom, deps.config.publicUrl);
  const { publicUrl } = deps.config;
  const batchSize = opts.batchSize ?? PLAN_BATCH;
  let after = 0;
  for (;;) {
    const subs = await listConfirmed(deps.db, period.frequency, after, batchSize, opts.onlyEmail);
    if (subs.length === 0) break;
    after = subs[subs.length - 1].id;
    summary.subscribers += subs.length;
    if (candidates.length === 0) {
      summary.empty += subs.length;
      continue;
    }
    const now = deps.clock();
    const done = opts.dryRun ? new Set<string>() : await existingKeys(deps.db, subs.map((s) => digestKey(s.id, period)));
    const todo = subs.filter((s) => !done.has(digestKey(s.id, period)));
    summary.alreadyPlanned += subs.length - todo.length;
    const history = await sentPapers(deps.db, todo.map((s) => s.id), paperIds);
    const messages: { sub: Subscription; papers: readonly DigestCandidate[]; links: DigestContent['links']; message: OutboxMessage }[] = [];
    for (const sub of todo) {
      const papers = compose(sub, history.get(sub.id));
      if (papers.length === 0) {
        summary.empty++;
        continue;
      }
      // The two links the message shows (not the confirmation link: it is confirmed).
      const links = { manage: subscriptionLink(deps.config, sub, 'manage', now), unsubscribe: subscriptionLink(deps.config, sub, 'unsubscribe', now) };
      const key = digestKey(sub.id, period);
      messages.push({
        sub,
        papers,
        links,
        message: {
          idempotencyKey: key,
          kind: 'digest',
          subscriptionId: sub.id,
          recipient: sub.email,
          subject: digestSubject(period, papers),
          content: digestContent(period, publicUrl, papers, links),
          headers: digestHeaders(period.frequency, links.unsubscribe, domain),
          messageId: messageIdFor(key, domain, deps.config.secretKey),
          expiresAt: new Date(now.getTime() + DIGEST_LIFETIME_MS[period.frequency]),
        },
      });
    }
    if (opts.dryRun) {
      summary.planned += messages.length;
      for (const m of messages) {
        const message = opts.withMessages
          ? renderDigest({ papers: m.papers, period, publicUrl, links: m.links, listDomain: domain }, renderCache)
          : undefined;
        summary.previews.push({ email: m.sub.email, papers: m.papers.map((p) => p.id), subject: m.message.subject, message });
      }
      continue;
    }
    // The outbox rows and the record of their papers commit together: a digest either exists with its
    // papers marked as sent, or not at all. A row another process planned meanwhile is skipped.
    const inserted = await deps.db.transaction(async (tx) => {
      const ids = await enqueueMessages(tx, messages.map((m) => m.message), now);
      await recordSentPapers(
        tx,
        messages.filter((m) => ids.has(m.message.idempotencyKey)).map((m) => ({
          subscriptionId: m.sub.id,
          outboxId: ids.get(m.message.idempotencyKey)!,
          paperIds: m.papers.map((p) => p.id),
        })),
        now,
      );
      return ids;
    });
    summary.planned += inserted.size;
    summary.alreadyPlanned += messages.length - inserted.size;
    for (const m of messages) {
      if (inserted.has(m.message.idempotencyKey)) summary.previews.push({ email: m.sub.email, papers: m.papers.map((p) => p.id), subject: m.message.subject });
    }
  }
  log.info(
    { period: period.key, frequency: period.frequency, planned: summary.planned, alreadyPlanned: summary.alreadyPlanned, empty: summary.empty },
    'digests planned',
  );
  return summary;
}

/**
 * The outbox sender with the subscription rules (cancels mail of people who left, counts bounces) and
 * the digest renderer (digest rows hold what their message is made of, not the message). The rule for
 * delivered mail (it ends a run of failures) runs inside the statement that marks rows sent.
 */
export function createDigestSender(deps: DigestDeps, mailer: Mailer, opts: Omit<SenderOptions, 'hooks'> = {}): OutboxSender {
  // onSent of the subscription rules, as SQL in the statement that marks rows sent.
  const hooks: OutboxHooks = { ...subscriptionOutboxHooks(deps.clock), onSent: undefined, onSentSql: RESET_FAILURES_OF_SENT };
  return new OutboxSender(deps.db, mailer, deps.clock, { log: deps.log, render: digestRenderer(deps.db), ...opts, hooks });
}
