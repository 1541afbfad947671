// What a public profile lists: the member's submissions, upvotes and comments (newest first).
import type { Queryable } from '../db/client.ts';

export async function submittedPaperIds(db: Queryable, userId: number, limit: number): Promise<{ paperId: string; listDate: string; note: string | null }[]> {
  const rows = await db.query<{ paper_id: string; list_date: string; note: string | null }>(
    `SELECT paper_id, list_date, note FROM submissions WHERE user_id = $1 AND removed_at IS NULL ORDER BY created_at DESC, id DESC LIMIT $2`,
    [userId, limit],
  );
  return rows.map((r) => ({ paperId: r.paper_id, listDate: r.list_date, note: r.note }));
}

export async function upvotedPaperIds(db: Queryable, userId: number, limit: number, offset = 0): Promise<string[]> {
  const rows = await db.query<{ paper_id: string }>(
    `SELECT paper_id FROM votes WHERE user_id = $1 ORDER BY created_at DESC, paper_id LIMIT $2 OFFSET $3`,
    [userId, limit, offset],
  );
  return rows.map((r) => r.paper_id);
}

export async function countUpvotes(db: Queryable, userId: number): Promise<number> {
  const rows = await db.query<{ n: number }>(`SELECT count(*) AS n FROM votes WHERE user_id = $1`, [userId]);
  return rows[0]?.n ?? 0;
}

export interface ProfileComment {
  id: number;
  paperId: string;
  paperTitle: string;
  bodyHtml: string;
  createdAt: Date;
}

/** The member's visible comments (not deleted, not hidden), with the paper's title. */
export async function recentComments(db: Queryable, userId: number, limit: number): Promise<ProfileComment[]> {
  const rows = await db.query<{ id: number; paper_id: string; title: string; body_html: string; created_at: Date }>(
    `SELECT c.id, c.paper_id, p.title, c.body_html, c.created_at FROM comments c JOIN papers p ON p.id = c.paper_id
      WHERE c.user_id = $1 AND c.deleted_at IS NULL AND c.hidden_at IS NULL ORDER BY c.created_at DESC, c.id DESC LIMIT $2`,
    [userId, limit],
  );
  return rows.map((r) => ({ id: r.id, paperId: r.paper_id, paperTitle: r.title, bodyHtml: r.body_html, createdAt: new Date(r.created_at) }));
}
