// The SQL of search: the corpus the in-process indexes are built from, the stored models and the per-paper
// vectors (Float32 little-endian bytea; see docs/search.md for why vectors are searched in process).
import type { Queryable } from '../db/client.ts';
import { ABSTRACT_PREFIX, type PaperSummary } from '../feed/feed.repository.ts';

export interface CorpusRow {
  id: string;
  title: string;
  abstract: string;
  authors: string[];
  author_keys: string[];
  categories: string[];
  first_listed: string;
  published_at: string | null;
}

/** Every paper's searchable text and filter fields, in id order. */
export function loadCorpus(db: Queryable): Promise<CorpusRow[]> {
  return db.query<CorpusRow>(
    `SELECT id, title, abstract, authors, author_keys, categories, first_listed, published_at::text AS published_at
     FROM papers ORDER BY id`,
  );
}

/**
 * Every paper's id, title and abstract, by id, in pages of `pageSize` (keyset pagination: each page is one short
 * query, and only one page of text is held at a time). A paper inserted behind the cursor meanwhile is not in
 * the pages; callers that need every paper catch up afterwards (papers without a vector get one).
 */
export async function* paperTextPages(db: Queryable, pageSize = 5000): AsyncGenerator<{ id: string; title: string; abstract: string }[]> {
  let after = '';
  for (;;) {
    const rows = await db.query<{ id: string; title: string; abstract: string }>(
      `SELECT id, title, abstract FROM papers WHERE id > $1 ORDER BY id LIMIT $2`,
      [after, pageSize],
    );
    if (rows.length === 0) return;
    yield rows;
    if (rows.length < pageSize) return;
    after = rows[rows.length - 1].id;
  }
}

export interface CorpusStamp {
  papers: number;
  modified: string | null;
  modelId: number | null;
  /** Grows when vectors are added under the active model (papers that arrived after it). */
  modelRevision: number | null;
}

/** What the in-process index depends on: when this changes, the index is rebuilt. */
export async function corpusStamp(db: Queryable): Promise<CorpusStamp> {
  const rows = await db.query<{ papers: number; modified: string | null; model_id: number | null; revision: number | null }>(
    `SELECT (SELECT count(*) FROM papers)::int AS papers,
            (SELECT max(modified_at)::text FROM papers) AS modified,
            (SELECT id FROM search_models WHERE active)::int AS model_id,
            (SELECT revision FROM search_models WHERE active) AS revision`,
  );
  return { papers: rows[0].papers, modified: rows[0].modified, modelId: rows[0].model_id, modelRevision: rows[0].revision };
}

export type ModelKind = 'builtin' | 'onnx' | 'openai';

/** A search model's record without its bytes. */
export interface ModelInfo {
  id: number;
  version: string;
  papersCount: number;
  /** builtin (trained, bytes = the model) or an external embedder (bytes empty). */
  kind: ModelKind;
  /** The identity of what made the vectors (Embedder.identity). */
  embedder: string;
  dim: number | null;
  revision: number;
}

export interface StoredModel extends ModelInfo {
  createdAt: string;
  bytes: Uint8Array;
}

const INFO_COLUMNS = 'id::int AS id, version, papers_count, kind, embedder, dim, revision';
type InfoRow = { id: number; version: string; papers_count: number; kind: ModelKind; embedder: string; dim: number | null; revision: number };
const toInfo = (r: InfoRow): ModelInfo => ({
  id: r.id, version: r.version, papersCount: r.papers_count, kind: r.kind, embedder: r.embedder, dim: r.dim, revision: r.revision,
});

export async function activeModel(db: Queryable): Promise<StoredModel | null> {
  const rows = await db.query<InfoRow & { created_at: string; bytes: Uint8Array }>(
    `SELECT ${INFO_COLUMNS}, created_at::text AS created_at, bytes FROM search_models WHERE active`,
  );
  const r = rows[0];
  return r ? { ...toInfo(r), createdAt: r.created_at, bytes: r.bytes } : null;
}

/** The active model's record without its bytes (for the retrain policy and status). */
export async function activeModelInfo(db: Queryable): Promise<ModelInfo | null> {
  const rows = await db.query<InfoRow>(`SELECT ${INFO_COLUMNS} FROM search_models WHERE active`);
  return rows[0] ? toInfo(rows[0]) : null;
}

export async function insertModel(
  tx: Queryable,
  m: { version: string; papersCount: number; bytes: Uint8Array; kind?: ModelKind; embedder?: string; dim?: number | null },
): Promise<number> {
  const rows = await tx.query<{ id: number }>(
    `INSERT INTO search_models (version, papers_count, bytes, active, kind, embedder, dim)
     VALUES ($1, $2, $3, false, $4, $5, $6) RETURNING id::int AS id`,
    [m.version, m.papersCount, m.bytes, m.kind ?? 'builtin', m.embedder ?? 'builtin', m.dim ?? null],
  );
  return rows[0].id;
}

/** Papers without a vector under `modelId` (newest first), at most `limit`. */
export function papersWithoutVector(db: Queryable, modelId: number, limit: number): Promise<{ id: string; title: string; abstract: string }[]> {
  return db.query<{ id: string; title: string; abstract: string }>(
    `SELECT p.id, p.title, p.abstract FROM papers p
     WHERE NOT EXISTS (SELECT 1 FROM paper_embeddings e WHERE e.paper_id = p.id AND e.model_id = $1)
     ORDER BY p.id DESC LIMIT $2`,
    [modelId, limit],
  );
}

/**
 * Adds vectors under `modelId` for papers that arrived after it was switched to, and bumps its revision so that
 * in-process indexes reload. Writes nothing once the model is no longer active (a switch happened meanwhile), and
 * never replaces a vector of the active model. Returns the vectors written.
 */
export async function addEmbeddings(tx: Queryable, modelId: number, ids: string[], vectors: Uint8Array, dim: number): Promise<number> {
  if (ids.length === 0) return 0;
  const w = dim * 4;
  const rows = await tx.query<{ paper_id: string }>(
    `INSERT INTO paper_embeddings (paper_id, model_id, vector)
     SELECT ($1::text[])[i], $2, substring($3::bytea FROM (i - 1) * $4 + 1 FOR $4)
     FROM generate_subscripts($1::text[], 1) AS i
     JOIN papers p ON p.id = ($1::text[])[i]
     WHERE EXISTS (SELECT 1 FROM search_models m WHERE m.id = $2 AND m.active AND (m.dim IS NULL OR m.dim = $4 / 4))
     ON CONFLICT (paper_id) DO UPDATE SET model_id = EXCLUDED.model_id, vector = EXCLUDED.vector
       WHERE NOT EXISTS (SELECT 1 FROM search_models m WHERE m.id = paper_embeddings.model_id AND m.active)
     RETURNING paper_id`,
    [ids, modelId, vectors, w],
  );
  if (rows.length) await tx.query('UPDATE search_models SET revision = revision + 1 WHERE id = $1', [modelId]);
  return rows.length;
}

/** Drops the vectors of every model but `keepModelId` (they are replaced in the same transaction). */
export async function deleteOtherEmbeddings(tx: Queryable, keepModelId: number): Promise<void> {
  await tx.query('DELETE FROM paper_embeddings WHERE model_id <> $1', [keepModelId]);
}

/**
 * Writes a batch of vectors: the ids as one text[] and the vectors concatenated into one bytea (dim * 4 bytes
 * each), split in SQL, so a batch is one round trip on both back ends.
 */
export async function writeEmbeddings(tx: Queryable, modelId: number, ids: string[], vectors: Uint8Array, dim: number): Promise<void> {
  if (ids.length === 0) return;
  const w = dim * 4;
  await tx.query(
    `INSERT INTO paper_embeddings (paper_id, model_id, vector)
     SELECT ($1::text[])[i], $2, substring($3::bytea FROM (i - 1) * $4 + 1 FOR $4)
     FROM generate_subscripts($1::text[], 1) AS i
     JOIN papers p ON p.id = ($1::text[])[i]
     ON CONFLICT (paper_id) DO UPDATE SET model_id = EXCLUDED.model_id, vector = EXCLUDED.vector`,
    [ids, modelId, vectors, w],
  );
}

/** Makes `modelId` the only active model; older inactive models are deleted (keeping the last `keep`). */
export async function activateModel(tx: Queryable, modelId: number, keep = 2): Promise<void> {
  await tx.query('UPDATE search_models SET active = false WHERE active AND id <> $1', [modelId]);
  await tx.query('UPDATE search_models SET active = true WHERE id = $1', [modelId]);
  await tx.query(
    `DELETE FROM search_models WHERE NOT active AND id NOT IN (SELECT id FROM search_models ORDER BY id DESC LIMIT $1)`,
    [keep],
  );
}

/** The vectors stored under a model. */
export function loadEmbeddings(db: Queryable, modelId: number): Promise<{ paper_id: string; vector: Uint8Array }[]> {
  return db.query<{ paper_id: string; vector: Uint8Array }>(
    'SELECT paper_id, vector FROM paper_embeddings WHERE model_id = $1',
    [modelId],
  );
}

export async function listModels(db: Queryable): Promise<(ModelInfo & { createdAt: string; active: boolean; size: number; vectors: number })[]> {
  const rows = await db.query<InfoRow & { created_at: string; active: boolean; size: number; vectors: number }>(
    `SELECT ${INFO_COLUMNS}, created_at::text AS created_at, active, length(bytes) AS size,
       (SELECT count(*) FROM paper_embeddings e WHERE e.model_id = m.id)::int AS vectors
     FROM search_models m ORDER BY id`,
  );
  return rows.map((r) => ({ ...toInfo(r), createdAt: r.created_at, active: r.active, size: r.size, vectors: r.vectors }));
}

/** Cards for papers, in the order of `ids` (ids not found are left out). */
export async function summariesByIds(db: Queryable, ids: string[]): Promise<PaperSummary[]> {
  if (ids.length === 0) return [];
  const rows = await db.query<{
    id: string; title: string; abstract_start: string; author_count: number; organization: string | null; first_listed: string;
    primary_category: string; upvotes: number; num_comments: number; github_repo: string | null; trending_score: number;
  }>(
    `SELECT id, title, left(abstract, ${ABSTRACT_PREFIX}) AS abstract_start, cardinality(authors) AS author_count, organization,
       first_listed, primary_category, upvotes, num_comments, github_repo, trending_score
     FROM papers WHERE id = ANY($1::text[])`,
    [ids],
  );
  const byId = new Map(rows.map((r) => [r.id, r]));
  return ids.flatMap((id) => {
    const r = byId.get(id);
    return r
      ? [{
          id: r.id, title: r.title, abstractStart: r.abstract_start, authorCount: r.author_count, organization: r.organization,
          firstListed: r.first_listed, primaryCategory: r.primary_category, upvotes: r.upvotes, numComments: r.num_comments,
          githubRepo: r.github_repo, trendingScore: r.trending_score,
        }]
      : [];
  });
}

/** Whether a trained model is active (cheap: lets pages skip building the in-process index without one). */
export async function hasActiveModel(db: Queryable): Promise<boolean> {
  const rows = await db.query('SELECT 1 FROM search_models WHERE active LIMIT 1');
  return rows.length > 0;
}
