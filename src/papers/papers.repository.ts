// All SQL about papers. Rows are mapped to domain objects here and nowhere else.
import type { Queryable } from '../db/client.ts';
import { initialTrendingSql } from '../feed/ranking.ts';
import {
  authorKeysOf,
  mergePaper,
  type MergeAction,
  type Paper,
  type PaperRecord,
  type StoredPaper,
} from './paper.ts';

/** Advisory lock key that serialises paper writers (two imports of the same ids at once). */
const PAPER_WRITE_LOCK = 7_261_002;

const COLUMNS = `id, version, title, abstract, authors, author_keys, categories, primary_category, comment,
  journal_ref, doi, license, published_at, updated_at, first_listed, versions, github_repo, project_page,
  organization, source, upvotes, num_comments, trending_score, created_at, modified_at`;

interface PaperRow {
  id: string;
  version: number | null;
  title: string;
  abstract: string;
  authors: string[];
  author_keys: string[];
  categories: string[];
  primary_category: string;
  comment: string | null;
  journal_ref: string | null;
  doi: string | null;
  license: string | null;
  published_at: Date | string | null;
  updated_at: Date | string | null;
  first_listed: string;
  versions: { version: number; date: string }[];
  github_repo: string | null;
  project_page: string | null;
  organization: string | null;
  source: string;
  upvotes: number;
  num_comments: number;
  trending_score: number;
  created_at: Date | string;
  modified_at: Date | string;
}

const iso = (v: Date | string | null): string | null =>
  v === null ? null : v instanceof Date ? v.toISOString() : new Date(v).toISOString();

export function rowToPaper(r: PaperRow): Paper {
  return {
    id: r.id,
    version: r.version,
    title: r.title,
    abstract: r.abstract,
    authors: r.authors,
    authorKeys: r.author_keys,
    categories: r.categories,
    primaryCategory: r.primary_category,
    comment: r.comment,
    journalRef: r.journal_ref,
    doi: r.doi,
    license: r.license,
    publishedAt: iso(r.published_at),
    updatedAt: iso(r.updated_at),
    firstListed: r.first_listed,
    versions: r.versions ?? [],
    githubRepo: r.github_repo,
    projectPage: r.project_page,
    organization: r.organization,
    source: r.source,
    upvotes: r.upvotes,
    numComments: r.num_comments,
    trendingScore: r.trending_score,
    createdAt: iso(r.created_at)!,
    modifiedAt: iso(r.modified_at)!,
  };
}

function toJsonRow(p: PaperRecord) {
  return {
    id: p.id,
    version: p.version,
    title: p.title,
    abstract: p.abstract,
    authors: p.authors,
    author_keys: authorKeysOf(p.authors),
    categories: p.categories,
    comment: p.comment,
    journal_ref: p.journalRef,
    doi: p.doi,
    license: p.license,
    published_at: p.publishedAt,
    updated_at: p.updatedAt,
    first_listed: p.firstListed,
    versions: p.versions,
    github_repo: p.githubRepo,
    project_page: p.projectPage,
    organization: p.organization,
    source: p.source,
  };
}

// The batch travels as one jsonb parameter and is unpacked by jsonb_to_recordset: one round trip per
// batch, and JSON arrays map to text[] columns without the flattening that unnest() does to 2-D arrays.
const RECORDSET = `jsonb_to_recordset($1::jsonb) AS r(id text, version integer, title text, abstract text,
  authors text[], author_keys text[], categories text[], comment text, journal_ref text, doi text, license text,
  published_at timestamptz, updated_at timestamptz, first_listed date, versions jsonb, github_repo text,
  project_page text, organization text, source text)`;

export interface WriteCounts {
  inserted: number;
  updated: number;
  unchanged: number;
}

/**
 * Writes a batch of records inside the caller's transaction, applying mergePaper to each against the
 * stored copy. Records with the same id in one batch are applied in order.
 */
export async function writePapers(tx: Queryable, records: PaperRecord[]): Promise<WriteCounts> {
  const counts: WriteCounts = { inserted: 0, updated: 0, unchanged: 0 };
  if (records.length === 0) return counts;
  await tx.query('SELECT pg_advisory_xact_lock($1)', [PAPER_WRITE_LOCK]);
  const ids = [...new Set(records.map((r) => r.id))];
  const existing = await tx.query<PaperRow>(
    `SELECT ${COLUMNS} FROM papers WHERE id = ANY($1::text[]) FOR UPDATE`,
    [ids],
  );
  const current = new Map<string, StoredPaper>(existing.map((r) => [r.id, rowToPaper(r)]));
  const pending = new Map<string, { action: MergeAction; row: PaperRecord }>();
  for (const rec of records) {
    const before = pending.get(rec.id);
    const stored = before ? before.row : (current.get(rec.id) ?? null);
    const { action, row } = mergePaper(stored, rec);
    if (action === 'unchanged') {
      counts.unchanged++;
      continue;
    }
    // A second copy in the same batch: an insert stays an insert, a later change folds into it.
    if (before) counts.unchanged++;
    pending.set(rec.id, { action: before?.action === 'insert' ? 'insert' : action, row });
  }
  const inserts = [...pending.values()].filter((p) => p.action === 'insert').map((p) => toJsonRow(p.row));
  const updates = [...pending.values()].filter((p) => p.action === 'update').map((p) => toJsonRow(p.row));
  if (inserts.length) {
    await tx.query(
      `INSERT INTO papers (id, version, title, abstract, authors, author_keys, categories, primary_category,
         comment, journal_ref, doi, license, published_at, updated_at, first_listed, versions, github_repo,
         project_page, organization, source, trending_score)
       SELECT r.id, r.version, r.title, r.abstract, r.authors, r.author_keys, r.categories, r.categories[1],
         r.comment, r.journal_ref, r.doi, r.license, r.published_at, r.updated_at, r.first_listed, r.versions,
         r.github_repo, r.project_page, r.organization, r.source, ${initialTrendingSql('r.first_listed')}
       FROM ${RECORDSET}`,
      [JSON.stringify(inserts)],
    );
    counts.inserted += inserts.length;
  }
  if (updates.length) {
    await tx.query(
      `UPDATE papers p SET version = r.version, title = r.title, abstract = r.abstract, authors = r.authors,
         author_keys = r.author_keys, categories = r.categories, primary_category = r.categories[1],
         comment = r.comment, journal_ref = r.journal_ref, doi = r.doi, license = r.license,
         published_at = r.published_at, updated_at = r.updated_at, first_listed = r.first_listed,
         versions = r.versions, github_repo = r.github_repo, project_page = r.project_page,
         organization = r.organization, source = r.source, modified_at = now()
       FROM ${RECORDSET} WHERE p.id = r.id`,
      [JSON.stringify(updates)],
    );
    counts.updated += updates.length;
  }
  return counts;
}

export async function getPaper(db: Queryable, id: string): Promise<Paper | null> {
  const rows = await db.query<PaperRow>(`SELECT ${COLUMNS} FROM papers WHERE id = $1`, [id]);
  return rows[0] ? rowToPaper(rows[0]) : null;
}

export async function countPapers(db: Queryable): Promise<number> {
  const rows = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM papers');
  return rows[0].n;
}

export interface PaperStats {
  papers: number;
  days: number;
  firstDay: string | null;
  lastDay: string | null;
  byDay: { day: string; papers: number }[];
  byCategory: { category: string; papers: number }[];
  databaseBytes: number;
}

/** Counts for `paperpulse stats`: totals, the most recent days, primary categories, database size. */
export async function paperStats(db: Queryable, opts: { days?: number; categories?: number } = {}): Promise<PaperStats> {
  const [totals] = await db.query<{ papers: number; days: number; first_day: string | null; last_day: string | null }>(
    `SELECT count(*)::int AS papers, count(DISTINCT first_listed)::int AS days,
            min(first_listed) AS first_day, max(first_listed) AS last_day FROM papers`,
  );
  const byDay = await db.query<{ day: string; papers: number }>(
    `SELECT first_listed AS day, count(*)::int AS papers FROM papers
     GROUP BY first_listed ORDER BY first_listed DESC LIMIT $1`,
    [opts.days ?? 14],
  );
  const byCategory = await db.query<{ category: string; papers: number }>(
    `SELECT primary_category AS category, count(*)::int AS papers FROM papers
     GROUP BY primary_category ORDER BY count(*) DESC, primary_category LIMIT $1`,
    [opts.categories ?? 20],
  );
  const [size] = await db.query<{ bytes: number }>('SELECT pg_database_size(current_database())::bigint AS bytes');
  return {
    papers: totals.papers,
    days: totals.days,
    firstDay: totals.first_day,
    lastDay: totals.last_day,
    byDay,
    byCategory,
    databaseBytes: Number(size.bytes),
  };
}
