// All SQL about submissions: papers members put on a day's list (table `submissions`, migration 0005).
// One live entry per paper and day (the partial unique index submissions_live_key); a moderator's removal
// keeps the row (removed_at/by/reason) and frees the place. The lists read submissions in
// feed/feed.repository.ts.
import type { Queryable } from '../db/client.ts';
import { entryTrendingSql } from '../feed/ranking.ts';

/** A submission as pages and the API show it. */
export interface SubmissionInfo {
  id: number;
  paperId: string;
  /** The daily list it is on (YYYY-MM-DD). */
  listDate: string;
  note: string | null;
  submittedAt: Date;
  username: string;
  displayName: string | null;
  /** Set when a moderator removed it. */
  removedAt: Date | null;
  removedBy: string | null;
  removedReason: string | null;
}

export interface SubmissionRow {
  id: number;
  paper_id: string;
  list_date: string;
  note: string | null;
  created_at: Date | string;
  username: string;
  display_name: string | null;
  removed_at: Date | string | null;
  removed_by_username: string | null;
  removed_reason: string | null;
}

/** The columns toSubmission reads, from `submissions s JOIN users u` (and the remover `r`, left-joined). */
export const SUBMISSION_COLUMNS = `s.id, s.paper_id, s.list_date, s.note, s.created_at, u.username, u.display_name,
  s.removed_at, r.username AS removed_by_username, s.removed_reason`;
const FROM = `submissions s JOIN users u ON u.id = s.user_id LEFT JOIN users r ON r.id = s.removed_by`;

export function toSubmission(r: SubmissionRow): SubmissionInfo {
  return {
    id: Number(r.id),
    paperId: r.paper_id,
    listDate: r.list_date,
    note: r.note,
    submittedAt: new Date(r.created_at),
    username: r.username,
    displayName: r.display_name,
    removedAt: r.removed_at ? new Date(r.removed_at) : null,
    removedBy: r.removed_by_username,
    removedReason: r.removed_reason,
  };
}

/**
 * Serialises one member's submissions until the transaction ends (a row lock on the user), so that two
 * submissions sent at once cannot both pass the quota check. NO KEY UPDATE does not block the foreign-key
 * checks of other tables' inserts (votes, comments).
 */
export async function lockSubmitter(tx: Queryable, userId: number): Promise<void> {
  await tx.query(`SELECT 1 FROM users WHERE id = $1 FOR NO KEY UPDATE`, [userId]);
}

/** The member's live submissions on a day's list. */
export async function countLiveSubmissions(db: Queryable, userId: number, listDate: string): Promise<number> {
  const [row] = await db.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM submissions WHERE user_id = $1 AND list_date = $2::date AND removed_at IS NULL`,
    [userId, listDate],
  );
  return row.n;
}

/**
 * Puts a paper on a day's list; returns the new id, or null when the paper already has a live entry on
 * that list (the unique index decides, so two members racing for one paper get one entry).
 */
export async function insertSubmission(
  tx: Queryable,
  s: { paperId: string; listDate: string; userId: number; note: string | null; at: Date },
): Promise<number | null> {
  const rows = await tx.query<{ id: number }>(
    `INSERT INTO submissions (paper_id, list_date, user_id, note, created_at) VALUES ($1, $2::date, $3, $4, $5)
     ON CONFLICT (paper_id, list_date) WHERE removed_at IS NULL DO NOTHING RETURNING id`,
    [s.paperId, s.listDate, s.userId, s.note, s.at],
  );
  return rows[0] ? Number(rows[0].id) : null;
}

export async function submissionById(db: Queryable, id: number): Promise<SubmissionInfo | null> {
  const rows = await db.query<SubmissionRow>(`SELECT ${SUBMISSION_COLUMNS} FROM ${FROM} WHERE s.id = $1`, [id]);
  return rows[0] ? toSubmission(rows[0]) : null;
}

/** The live entry of a paper on a day's list, if any. */
export async function liveSubmissionOn(db: Queryable, paperId: string, listDate: string): Promise<SubmissionInfo | null> {
  const rows = await db.query<SubmissionRow>(
    `SELECT ${SUBMISSION_COLUMNS} FROM ${FROM} WHERE s.paper_id = $1 AND s.list_date = $2::date AND s.removed_at IS NULL`,
    [paperId, listDate],
  );
  return rows[0] ? toSubmission(rows[0]) : null;
}

/** Every submission of a paper, newest first; removed ones only when asked (moderators see them). */
export async function submissionsOfPaper(db: Queryable, paperId: string, opts: { withRemoved?: boolean } = {}): Promise<SubmissionInfo[]> {
  const rows = await db.query<SubmissionRow>(
    `SELECT ${SUBMISSION_COLUMNS} FROM ${FROM} WHERE s.paper_id = $1 ${opts.withRemoved ? '' : 'AND s.removed_at IS NULL'}
     ORDER BY s.list_date DESC, s.id DESC LIMIT 100`,
    [paperId],
  );
  return rows.map(toSubmission);
}

/**
 * Marks a live submission removed. Returns the removed entry's paper and day, or null when there is no
 * such live submission (unknown id, or removed already).
 */
export async function markRemoved(
  db: Queryable,
  id: number,
  by: number,
  reason: string | null,
  at: Date,
): Promise<{ paperId: string; listDate: string } | null> {
  const rows = await db.query<{ paper_id: string; list_date: string }>(
    `UPDATE submissions SET removed_at = $3, removed_by = $2, removed_reason = $4
     WHERE id = $1 AND removed_at IS NULL RETURNING paper_id, list_date`,
    [id, by, at, reason],
  );
  return rows[0] ? { paperId: rows[0].paper_id, listDate: rows[0].list_date } : null;
}

const BY_USER = `u.username = $1 AND s.removed_at IS NULL AND ($2::date IS NULL OR s.list_date BETWEEN $2::date AND $3::date)`;

/** How many live submissions the member (by username) has, on the lists of a range of days or of every day. */
export async function countSubmittedBy(db: Queryable, username: string, range: { start: string; end: string } | null): Promise<number> {
  const [row] = await db.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM submissions s JOIN users u ON u.id = s.user_id WHERE ${BY_USER}`,
    [username, range?.start ?? null, range?.end ?? null],
  );
  return row.n;
}

/**
 * The member's live submissions, one page: newest list first, or by the entries' trending score (as the
 * lists order them, ranking.ts entryTrendingSql).
 */
export async function listSubmittedBy(
  db: Queryable,
  username: string,
  range: { start: string; end: string } | null,
  sort: 'trending' | 'newest',
  slice: { limit: number; offset: number },
): Promise<SubmissionInfo[]> {
  const order =
    sort === 'trending'
      ? `${entryTrendingSql('p.trending_score', 'p.first_listed', 's.list_date', 's.created_at')} DESC, p.upvotes DESC, s.list_date DESC, s.id DESC`
      : 's.list_date DESC, s.created_at DESC, s.id DESC';
  const rows = await db.query<SubmissionRow>(
    `SELECT ${SUBMISSION_COLUMNS} FROM ${FROM} JOIN papers p ON p.id = s.paper_id
      WHERE ${BY_USER} ORDER BY ${order} LIMIT $4 OFFSET $5`,
    [username, range?.start ?? null, range?.end ?? null, slice.limit, slice.offset],
  );
  return rows.map(toSubmission);
}

/** The paper's most recent live submission (the newest list it was put on), if any. */
export async function latestSubmissionOf(db: Queryable, paperId: string): Promise<SubmissionInfo | null> {
  const rows = await db.query<SubmissionRow>(
    `SELECT ${SUBMISSION_COLUMNS} FROM ${FROM} WHERE s.paper_id = $1 AND s.removed_at IS NULL ORDER BY s.list_date DESC, s.id DESC LIMIT 1`,
    [paperId],
  );
  return rows[0] ? toSubmission(rows[0]) : null;
}
