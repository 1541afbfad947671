// All SQL about votes, the counts they keep on papers, and the stored trending score.
import type { Queryable } from '../db/client.ts';

/** What the trending formula reads from a paper row. */
export interface PaperCounts {
  id: string;
  upvotes: number;
  num_comments: number;
  first_listed: string;
  trending_score: number;
}

const COUNT_COLUMNS = 'id, upvotes, num_comments, first_listed, trending_score';

/** A PostgreSQL error (node-postgres and PGlite both carry `code` and `constraint`). */
function pgError(err: unknown): { code?: string; constraint?: string } {
  return typeof err === 'object' && err !== null ? (err as { code?: string; constraint?: string }) : {};
}

/** Which foreign key a failed vote insert broke: 'paper', 'user', or null for any other error. */
export function brokenVoteReference(err: unknown): 'paper' | 'user' | null {
  const e = pgError(err);
  if (e.code !== '23503') return null;
  if (e.constraint === 'votes_paper_id_fkey') return 'paper';
  if (e.constraint === 'votes_user_id_fkey') return 'user';
  return null;
}

export async function getPaperCounts(db: Queryable, paperId: string): Promise<PaperCounts | null> {
  const rows = await db.query<PaperCounts>(`SELECT ${COUNT_COLUMNS} FROM papers WHERE id = $1`, [paperId]);
  return rows[0] ?? null;
}

/** Inserts the vote; false when the user had already voted for the paper (nothing written). */
export async function insertVote(tx: Queryable, userId: number, paperId: string): Promise<boolean> {
  const rows = await tx.query(
    `INSERT INTO votes (user_id, paper_id) VALUES ($1, $2) ON CONFLICT (user_id, paper_id) DO NOTHING RETURNING 1 AS ok`,
    [userId, paperId],
  );
  return rows.length === 1;
}

/** Deletes the vote; false when there was none. */
export async function deleteVote(tx: Queryable, userId: number, paperId: string): Promise<boolean> {
  const rows = await tx.query('DELETE FROM votes WHERE user_id = $1 AND paper_id = $2 RETURNING 1 AS ok', [userId, paperId]);
  return rows.length === 1;
}

/**
 * Adds delta to papers.upvotes and returns the new counts. The row stays locked until the transaction
 * ends, so counts read here are the ones the score must be computed from.
 */
export async function addUpvotes(tx: Queryable, paperId: string, delta: 1 | -1): Promise<PaperCounts> {
  const rows = await tx.query<PaperCounts>(
    `UPDATE papers SET upvotes = upvotes + $2 WHERE id = $1 RETURNING ${COUNT_COLUMNS}`,
    [paperId, delta],
  );
  if (!rows[0]) throw new Error(`paper ${paperId} vanished while its vote was being counted`);
  return rows[0];
}

export async function setTrendingScore(tx: Queryable, paperId: string, score: number): Promise<void> {
  await tx.query('UPDATE papers SET trending_score = $2 WHERE id = $1', [paperId, score]);
}

export async function hasVoted(db: Queryable, userId: number, paperId: string): Promise<boolean> {
  const rows = await db.query('SELECT 1 FROM votes WHERE user_id = $1 AND paper_id = $2', [userId, paperId]);
  return rows.length === 1;
}

export async function countVotes(db: Queryable, paperId: string): Promise<number> {
  const rows = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM votes WHERE paper_id = $1', [paperId]);
  return rows[0].n;
}

export async function countPapersForRecompute(db: Queryable): Promise<number> {
  const rows = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM papers');
  return rows[0].n;
}

/**
 * The next batch of papers after `afterId` in id order, locked until the transaction ends. A vote on one
 * of them may insert its row meanwhile, but its `upvotes ± 1` waits for this lock and then applies on top
 * of what the recompute wrote, so no vote is lost or counted twice. (FOR NO KEY UPDATE rather than FOR
 * UPDATE: the vote's foreign-key check only needs a key-share lock, which this does not block.)
 */
export async function lockPaperBatch(tx: Queryable, afterId: string | null, limit: number): Promise<PaperCounts[]> {
  // Two statements rather than "$1 IS NULL OR id > $1", which would keep the planner off the primary key.
  return afterId === null
    ? tx.query<PaperCounts>(`SELECT ${COUNT_COLUMNS} FROM papers ORDER BY id LIMIT $1 FOR NO KEY UPDATE`, [limit])
    : tx.query<PaperCounts>(`SELECT ${COUNT_COLUMNS} FROM papers WHERE id > $1 ORDER BY id LIMIT $2 FOR NO KEY UPDATE`, [afterId, limit]);
}

/** Votes per paper among `paperIds` (papers without votes are absent). Run after lockPaperBatch. */
export async function voteCountsFor(tx: Queryable, paperIds: string[]): Promise<Map<string, number>> {
  const rows = await tx.query<{ paper_id: string; n: number }>(
    'SELECT paper_id, count(*)::int AS n FROM votes WHERE paper_id = ANY($1::text[]) GROUP BY paper_id',
    [paperIds],
  );
  return new Map(rows.map((r) => [r.paper_id, r.n]));
}

/** Writes upvotes and scores for a batch (one jsonb parameter); returns how many rows changed. */
export async function writeScores(tx: Queryable, rows: { id: string; upvotes: number; score: number }[]): Promise<number> {
  if (rows.length === 0) return 0;
  // A JSON number converts to float8 through its decimal text, and JSON.stringify writes the shortest
  // text that reads back as the same double: the stored value is bit-for-bit the computed one.
  const changed = await tx.query(
    `UPDATE papers p SET upvotes = r.upvotes, trending_score = r.score
     FROM jsonb_to_recordset($1::jsonb) AS r(id text, upvotes integer, score double precision)
     WHERE p.id = r.id AND (p.upvotes <> r.upvotes OR p.trending_score <> r.score)
     RETURNING 1 AS ok`,
    [JSON.stringify(rows)],
  );
  return changed.length;
}

/** The id of the user with this username, or null. */
export async function findUserId(db: Queryable, username: string): Promise<number | null> {
  const rows = await db.query<{ id: number }>('SELECT id FROM users WHERE username = $1', [username]);
  return rows[0]?.id ?? null;
}

/**
 * The id of the user with this username, creating a plain user when there is none (admin tools until
 * accounts exist). The username must already be valid (users_username_format).
 */
export async function ensureUser(db: Queryable, username: string): Promise<{ id: number; created: boolean }> {
  const inserted = await db.query<{ id: number }>(
    'INSERT INTO users (username) VALUES ($1) ON CONFLICT (username) DO NOTHING RETURNING id',
    [username],
  );
  if (inserted[0]) return { id: inserted[0].id, created: true };
  const id = await findUserId(db, username);
  if (id === null) throw new Error(`user ${username} could be neither created nor found`);
  return { id, created: false };
}

/** Which of `paperIds` the user has upvoted (one query, for the buttons of a page). */
export async function votedAmong(db: Queryable, userId: number, paperIds: readonly string[]): Promise<Set<string>> {
  if (paperIds.length === 0) return new Set();
  const rows = await db.query<{ paper_id: string }>(
    'SELECT paper_id FROM votes WHERE user_id = $1 AND paper_id = ANY($2::text[])',
    [userId, [...new Set(paperIds)]],
  );
  return new Set(rows.map((r) => r.paper_id));
}

/** The user's upvotes, newest first (ties by paper id), with when each was cast. */
export async function upvotesOfUser(db: Queryable, userId: number, limit: number, offset: number): Promise<{ paperId: string; votedAt: string }[]> {
  const rows = await db.query<{ paper_id: string; created_at: Date | string }>(
    'SELECT paper_id, created_at FROM votes WHERE user_id = $1 ORDER BY created_at DESC, paper_id LIMIT $2 OFFSET $3',
    [userId, limit, offset],
  );
  return rows.map((r) => ({ paperId: r.paper_id, votedAt: new Date(r.created_at).toISOString() }));
}

export async function countUserUpvotes(db: Queryable, userId: number): Promise<number> {
  const rows = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM votes WHERE user_id = $1', [userId]);
  return rows[0].n;
}
