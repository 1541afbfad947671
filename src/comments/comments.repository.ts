// All SQL about comments and the comment count they keep on papers. No rules here: comments.service.ts
// decides who may do what and runs these inside its transactions.
import type { Queryable } from '../db/client.ts';
import type { PaperCounts } from '../feed/votes.repository.ts';

export interface CommentRow {
  id: number;
  paper_id: string;
  user_id: number;
  parent_id: number | null;
  body: string;
  body_html: string;
  created_at: Date;
  edited_at: Date | null;
  deleted_at: Date | null;
  hidden_at: Date | null;
  hidden_by: number | null;
  hidden_reason: string | null;
}

/** A comment of a paper's thread with what the page shows of its author. */
export interface ThreadRow {
  id: number;
  parent_id: number | null;
  user_id: number;
  username: string;
  display_name: string | null;
  body_html: string;
  created_at: Date;
  edited_at: Date | null;
  deleted_at: Date | null;
  hidden_at: Date | null;
  hidden_reason: string | null;
}

const COMMENT_COLUMNS =
  'id, paper_id, user_id, parent_id, body, body_html, created_at, edited_at, deleted_at, hidden_at, hidden_by, hidden_reason';
const COUNT_COLUMNS = 'id, upvotes, num_comments, first_listed, trending_score';

/**
 * Locks the paper's row until the transaction ends and returns its counts; null when there is no such
 * paper. Every change to a paper's comments takes this lock first, so they queue up one by one and the
 * count each of them writes includes all the others that committed before it.
 */
export async function lockPaper(tx: Queryable, paperId: string): Promise<PaperCounts | null> {
  const rows = await tx.query<PaperCounts>(`SELECT ${COUNT_COLUMNS} FROM papers WHERE id = $1 FOR NO KEY UPDATE`, [paperId]);
  return rows[0] ?? null;
}

export async function commentById(db: Queryable, id: number): Promise<CommentRow | null> {
  const rows = await db.query<CommentRow>(`SELECT ${COMMENT_COLUMNS} FROM comments WHERE id = $1`, [id]);
  return rows[0] ?? null;
}

/** The comment, locked until the transaction ends (take the paper's lock first). */
export async function lockComment(tx: Queryable, id: number): Promise<CommentRow | null> {
  const rows = await tx.query<CommentRow>(`SELECT ${COMMENT_COLUMNS} FROM comments WHERE id = $1 FOR UPDATE`, [id]);
  return rows[0] ?? null;
}

export interface AncestorRow {
  id: number;
  paper_id: string;
  parent_id: number | null;
  deleted_at: Date | null;
  hidden_at: Date | null;
}

/** The comment and its ancestors, the comment first and the top-level one last (at most `limit`). */
export async function ancestry(db: Queryable, id: number, limit = 64): Promise<AncestorRow[]> {
  return db.query<AncestorRow>(
    `WITH RECURSIVE chain AS (
       SELECT id, paper_id, parent_id, deleted_at, hidden_at, 0 AS up FROM comments WHERE id = $1
       UNION ALL
       SELECT c.id, c.paper_id, c.parent_id, c.deleted_at, c.hidden_at, chain.up + 1
         FROM comments c JOIN chain ON c.id = chain.parent_id
        WHERE chain.up < $2
     )
     SELECT id, paper_id, parent_id, deleted_at, hidden_at FROM chain ORDER BY up`,
    [id, limit - 1],
  );
}

export async function insertComment(
  tx: Queryable,
  c: { paperId: string; userId: number; parentId: number | null; body: string; bodyHtml: string; at: Date },
): Promise<number> {
  const rows = await tx.query<{ id: number }>(
    `INSERT INTO comments (paper_id, user_id, parent_id, body, body_html, created_at) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id`,
    [c.paperId, c.userId, c.parentId, c.body, c.bodyHtml, c.at],
  );
  return rows[0].id;
}

export async function updateCommentBody(tx: Queryable, id: number, body: string, bodyHtml: string, at: Date): Promise<void> {
  await tx.query(`UPDATE comments SET body = $2, body_html = $3, edited_at = $4 WHERE id = $1`, [id, body, bodyHtml, at]);
}

/** Marks the comment deleted and forgets what it said (its place in the thread stays for its replies). */
export async function markCommentDeleted(tx: Queryable, id: number, at: Date): Promise<void> {
  await tx.query(`UPDATE comments SET deleted_at = $2, body = '[deleted]', body_html = '' WHERE id = $1`, [id, at]);
}

export async function setCommentHidden(tx: Queryable, id: number, by: number, reason: string, at: Date): Promise<void> {
  await tx.query(`UPDATE comments SET hidden_at = $2, hidden_by = $3, hidden_reason = $4 WHERE id = $1`, [id, at, by, reason]);
}

export async function clearCommentHidden(tx: Queryable, id: number): Promise<void> {
  await tx.query(`UPDATE comments SET hidden_at = NULL, hidden_by = NULL, hidden_reason = NULL WHERE id = $1`, [id]);
}

/**
 * Sets papers.num_comments to the number of visible comments (neither deleted nor hidden) and returns
 * the new counts. Run after lockPaper, in a statement of its own, so it counts every committed change.
 */
export async function recountComments(tx: Queryable, paperId: string): Promise<PaperCounts> {
  const rows = await tx.query<PaperCounts>(
    `UPDATE papers SET num_comments = (
       SELECT count(*)::int FROM comments WHERE paper_id = $1 AND deleted_at IS NULL AND hidden_at IS NULL
     ) WHERE id = $1 RETURNING ${COUNT_COLUMNS}`,
    [paperId],
  );
  if (!rows[0]) throw new Error(`paper ${paperId} vanished while its comments were being counted`);
  return rows[0];
}

/** Every comment of a paper with its author, oldest first (one query; the page builds the tree). */
export async function threadRows(db: Queryable, paperId: string): Promise<ThreadRow[]> {
  return db.query<ThreadRow>(
    `SELECT c.id, c.parent_id, c.user_id, u.username, u.display_name, c.body_html, c.created_at, c.edited_at,
            c.deleted_at, c.hidden_at, c.hidden_reason
       FROM comments c JOIN users u ON u.id = c.user_id
      WHERE c.paper_id = $1
      ORDER BY c.created_at, c.id`,
    [paperId],
  );
}
