// The SQL the digest needs besides subscriptions: the candidate papers of a period.
import type { Queryable } from '../db/client.ts';
import type { DigestCandidate } from './compose.ts';

/** Every paper listed in the period (with the whole abstract: keywords may match anywhere in it). */
export async function candidatePapers(db: Queryable, period: { start: string; end: string }): Promise<DigestCandidate[]> {
  const rows = await db.query<{
    id: string;
    title: string;
    authors: string[];
    abstract: string;
    categories: string[];
    first_listed: string;
    upvotes: number;
    trending_score: number;
  }>(
    `SELECT id, title, authors, abstract, categories, first_listed, upvotes, trending_score
     FROM papers WHERE first_listed BETWEEN $1::date AND $2::date`,
    [period.start, period.end],
  );
  return rows.map((r) => ({
    id: r.id,
    title: r.title,
    authors: r.authors,
    abstract: r.abstract,
    categories: r.categories,
    firstListed: r.first_listed,
    upvotes: r.upvotes,
    trendingScore: r.trending_score,
  }));
}

/** Idempotency keys among `keys` that are in the outbox already. */
export async function existingKeys(db: Queryable, keys: string[]): Promise<Set<string>> {
  if (keys.length === 0) return new Set();
  const rows = await db.query<{ idempotency_key: string }>(
    'SELECT idempotency_key FROM mail_outbox WHERE idempotency_key = ANY($1::text[])',
    [keys],
  );
  return new Set(rows.map((r) => r.idempotency_key));
}

/** The latest listing day that has papers (null on an empty database). */
export async function latestListingDay(db: Queryable): Promise<string | null> {
  const [row] = await db.query<{ day: string | null }>('SELECT max(first_listed) AS day FROM papers');
  return row.day;
}

export type PaperText = Pick<DigestCandidate, 'title' | 'authors' | 'abstract'>;

/** Title, authors and abstract of the papers that exist among `ids` (what a digest shows of them). */
export async function papersById(db: Queryable, ids: string[]): Promise<Map<string, PaperText>> {
  const out = new Map<string, PaperText>();
  if (ids.length === 0) return out;
  const rows = await db.query<{ id: string; title: string; authors: string[]; abstract: string }>(
    'SELECT id, title, authors, abstract FROM papers WHERE id = ANY($1::text[])',
    [ids],
  );
  for (const r of rows) out.set(r.id, { title: r.title, authors: r.authors, abstract: r.abstract });
  return out;
}

/**
 * resetFailures (subscriptions.repository.ts) as the outbox's onSentSql: the digest sender runs it in
 * the statement that marks rows sent (`sent`: the rows marked sent), so a delivery ends its address's
 * run of permanent failures without a statement and a transaction of its own.
 */
export const RESET_FAILURES_OF_SENT = `UPDATE subscriptions SET permanent_failures = 0
  WHERE id IN (SELECT subscription_id FROM sent) AND permanent_failures > 0`;
