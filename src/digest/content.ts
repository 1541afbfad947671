// What a planned digest stores in its outbox row instead of the rendered message: the period, the papers
// (ids and the upvote counts shown, in digest order), PUBLIC_URL and the subscriber's signed links; about
// 1 kB instead of 20 to 60 kB of text and HTML. The sender renders the message from it right before
// sending (digestRenderer), reading the papers' titles, authors and abstracts from the database: every
// attempt at one digest sends the same message unless arXiv published a new version of a paper in
// between (then the new title or abstract). The subject and the list headers are stored as they are.
import type { Queryable } from '../db/client.ts';
import type { RenderedBody, OutboxRow } from '../mail/outbox.ts';
import type { DigestCandidate } from './compose.ts';
import { papersById, type PaperText } from './digest.repository.ts';
import type { DigestPeriod } from './period.ts';
import { DigestRenderCache, renderDigestBody, type RenderPaper } from './render.ts';

export interface DigestContent {
  /** Format version. */
  digest: 1;
  period: DigestPeriod;
  publicUrl: string;
  /** [paper id, upvotes when planned], in digest order. */
  papers: [string, number][];
  links: { manage: string; unsubscribe: string };
}

export function digestContent(
  period: DigestPeriod,
  publicUrl: string,
  papers: readonly Pick<DigestCandidate, 'id' | 'upvotes'>[],
  links: { manage: string; unsubscribe: string },
): DigestContent {
  return { digest: 1, period, publicUrl, papers: papers.map((p) => [p.id, p.upvotes]), links };
}

/** The content of an outbox row if it is a digest's, else null. */
export function asDigestContent(value: unknown): DigestContent | null {
  const c = value as Partial<DigestContent> | null;
  if (!c || typeof c !== 'object' || c.digest !== 1) return null;
  const ok =
    typeof c.publicUrl === 'string' &&
    typeof c.period?.label === 'string' &&
    (c.period.frequency === 'daily' || c.period.frequency === 'weekly') &&
    typeof c.links?.manage === 'string' &&
    typeof c.links.unsubscribe === 'string' &&
    Array.isArray(c.papers) &&
    c.papers.every((p) => Array.isArray(p) && typeof p[0] === 'string' && typeof p[1] === 'number');
  return ok ? (c as DigestContent) : null;
}

export interface DigestRendererOptions {
  /** Papers read from the database are reused for this long (a long-running sender sees corrections). */
  maxAgeMs?: number;
  /** And at most this many (a weekly digest covers a few thousand). */
  maxPapers?: number;
}

/**
 * The sender's renderer for digest rows (SenderOptions.render). Papers are read once per batch for the
 * ids it has not seen, and each paper's entry is rendered once and shared by every digest holding it.
 * A row whose papers are all gone from the database gets no body (the sender fails it).
 */
export function digestRenderer(db: Queryable, opts: DigestRendererOptions = {}): (rows: readonly OutboxRow[]) => Promise<Map<number, RenderedBody>> {
  const maxAgeMs = opts.maxAgeMs ?? 10 * 60_000;
  const maxPapers = opts.maxPapers ?? 20_000;
  let texts = new Map<string, PaperText | null>();
  let entries = new Map<string, RenderPaper>();
  let cache = new DigestRenderCache();
  let since = Date.now();
  return async (rows) => {
    if (Date.now() - since > maxAgeMs || texts.size > maxPapers) {
      texts = new Map();
      entries = new Map();
      cache = new DigestRenderCache();
      since = Date.now();
    }
    const specs = rows.map((row) => [row, asDigestContent(row.body.content)] as const);
    const missing = new Set<string>();
    for (const [, spec] of specs) for (const [id] of spec?.papers ?? []) if (!texts.has(id)) missing.add(id);
    if (missing.size) {
      const found = await papersById(db, [...missing]);
      for (const id of missing) texts.set(id, found.get(id) ?? null);
    }
    const out = new Map<number, RenderedBody>();
    for (const [row, spec] of specs) {
      if (!spec) continue;
      const papers: RenderPaper[] = [];
      for (const [id, upvotes] of spec.papers) {
        const t = texts.get(id);
        if (!t) continue;
        const key = `${id}\n${upvotes}`;
        let entry = entries.get(key);
        if (!entry) entries.set(key, (entry = { id, title: t.title, authors: t.authors, abstract: t.abstract, upvotes }));
        papers.push(entry);
      }
      if (papers.length === 0) continue;
      out.set(row.id, renderDigestBody({ papers, period: spec.period, publicUrl: spec.publicUrl, links: spec.links, subject: row.subject }, cache));
    }
    return out;
  };
}
