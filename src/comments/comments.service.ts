// Comments: post, reply, edit and delete your own; moderators hide and unhide any. Each change is one
// transaction that first locks the paper's row, changes the comment, sets papers.num_comments to the
// number of visible comments (neither deleted nor hidden) and stores the trending score computed from
// the new counts (docs/trending.md: a comment weighs half an upvote, capped at the upvotes), just as a
// vote does. Listeners hear 'papers-changed' after the commit, so cached pages show the change.
//
// The body is stored twice: the author's Markdown (for editing) and its sanitised HTML (markdown.ts),
// which is all that pages ever show. A deleted comment forgets its text; it keeps its place in the
// thread as "[deleted]" while it has replies to show, and disappears otherwise. Threads nest at most
// MAX_DEPTH levels: a reply to a comment on the deepest level joins that comment's own parent.
import type { Member } from '../accounts/accounts.service.ts';
import { isModerator } from '../accounts/accounts.service.ts';
import type { Context } from '../context.ts';
import type { Queryable } from '../db/client.ts';
import { trendingScoreOfRow } from '../feed/ranking.ts';
import { setTrendingScore } from '../feed/votes.repository.ts';
import {
  ancestry,
  clearCommentHidden,
  commentById,
  insertComment,
  lockComment,
  lockPaper,
  markCommentDeleted,
  recountComments,
  setCommentHidden,
  threadRows,
  updateCommentBody,
  type CommentRow,
  type ThreadRow,
} from './comments.repository.ts';
import { checkCommentBody, checkHideReason, renderCommentHtml } from './markdown.ts';

/** Levels of a thread: top-level comments are level 1, their replies level 2, and so on. */
export const MAX_DEPTH = 6;

export type CommentsContext = Pick<Context, 'db' | 'events' | 'clock'>;

/** Who acts: a member's id and role. */
export type Actor = Pick<Member, 'id' | 'role'>;

export type CommentErrorCode =
  | 'INVALID_BODY'
  | 'INVALID_REASON'
  | 'PAPER_NOT_FOUND'
  | 'COMMENT_NOT_FOUND'
  | 'PARENT_NOT_FOUND'
  | 'PARENT_GONE'
  | 'NOT_YOURS'
  | 'NOT_MODERATOR'
  | 'DELETED'
  | 'HIDDEN';

const STATUS: Record<CommentErrorCode, 400 | 403 | 404 | 409> = {
  INVALID_BODY: 400,
  INVALID_REASON: 400,
  PAPER_NOT_FOUND: 404,
  COMMENT_NOT_FOUND: 404,
  PARENT_NOT_FOUND: 404,
  PARENT_GONE: 409,
  NOT_YOURS: 403,
  NOT_MODERATOR: 403,
  DELETED: 404,
  HIDDEN: 403,
};

/** A refused change, with a message for the person who tried it. */
export class CommentError extends Error {
  readonly status: 400 | 403 | 404 | 409;
  constructor(readonly code: CommentErrorCode, message: string) {
    super(message);
    this.name = 'CommentError';
    this.status = STATUS[code];
  }
}

export interface CommentChange {
  commentId: number;
  paperId: string;
  /** Whether the comment is still shown in its thread (as itself, "[deleted]" or its hidden notice). */
  shown: boolean;
  numComments: number;
  trendingScore: number;
}

function changed(ctx: CommentsContext, paperId: string): void {
  ctx.events.emit('papers-changed', { paperIds: [paperId] });
}

/** Recounts the paper's visible comments and stores its trending score; the paper must be locked. */
async function recount(tx: Queryable, paperId: string): Promise<{ numComments: number; trendingScore: number }> {
  const counts = await recountComments(tx, paperId);
  const score = trendingScoreOfRow(counts);
  if (score !== counts.trending_score) await setTrendingScore(tx, paperId, score);
  return { numComments: counts.num_comments, trendingScore: score };
}

function validBody(body: unknown): { body: string; html: string } {
  const checked = checkCommentBody(body);
  if (!checked.ok) throw new CommentError('INVALID_BODY', checked.error);
  return { body: checked.body, html: renderCommentHtml(checked.body) };
}

export interface AddCommentInput {
  paperId: string;
  userId: number;
  body: unknown;
  /** The comment replied to (same paper), or null/undefined for a top-level comment. */
  parentId?: number | null;
}

/** Posts a comment or a reply. */
export async function addComment(ctx: CommentsContext, input: AddCommentInput): Promise<CommentChange> {
  const { body, html } = validBody(input.body);
  const at = ctx.clock();
  const result = await ctx.db.transaction(async (tx) => {
    if (!(await lockPaper(tx, input.paperId))) throw new CommentError('PAPER_NOT_FOUND', `There is no paper ${input.paperId} here.`);
    let parentId: number | null = null;
    if (input.parentId !== null && input.parentId !== undefined) {
      // The parent first, then its ancestors up to the top-level comment.
      const chain = await ancestry(tx, input.parentId);
      const parent = chain[0];
      if (!parent || parent.paper_id !== input.paperId) {
        throw new CommentError('PARENT_NOT_FOUND', 'The comment you replied to is not on this paper.');
      }
      if (parent.deleted_at) throw new CommentError('PARENT_GONE', 'The comment you replied to was deleted by its author.');
      if (parent.hidden_at) throw new CommentError('PARENT_GONE', 'The comment you replied to was hidden by a moderator.');
      // The parent sits on level chain.length; a reply below the deepest level joins the ancestor on
      // level MAX_DEPTH - 1 instead (so it shows on the deepest level, after the comment it answers).
      const parentLevel = chain.length;
      parentId = parentLevel < MAX_DEPTH ? parent.id : chain[parentLevel - (MAX_DEPTH - 1)].id;
    }
    const commentId = await insertComment(tx, { paperId: input.paperId, userId: input.userId, parentId, body, bodyHtml: html, at });
    return { commentId, paperId: input.paperId, shown: true, ...(await recount(tx, input.paperId)) };
  });
  changed(ctx, result.paperId);
  return result;
}

/** The comment that `actor` may edit, or the reason they may not (for the edit page). */
export async function commentToEdit(db: Queryable, commentId: number, actor: Actor): Promise<CommentRow> {
  const c = await commentById(db, commentId);
  assertEditable(c, commentId, actor);
  return c;
}

function assertEditable(c: CommentRow | null, commentId: number, actor: Actor): asserts c is CommentRow {
  if (!c) throw new CommentError('COMMENT_NOT_FOUND', `There is no comment ${commentId}.`);
  if (c.user_id !== actor.id) throw new CommentError('NOT_YOURS', 'You can edit and delete only your own comments.');
  if (c.deleted_at) throw new CommentError('DELETED', 'This comment was deleted.');
  if (c.hidden_at) throw new CommentError('HIDDEN', 'A moderator hid this comment, so it cannot be edited.');
}

/** Replaces the text of the actor's own comment and marks it edited. */
export async function editComment(ctx: CommentsContext, input: { commentId: number; actor: Actor; body: unknown }): Promise<CommentChange> {
  const existing = await commentById(ctx.db, input.commentId);
  assertEditable(existing, input.commentId, input.actor);
  const { body, html } = validBody(input.body);
  const at = ctx.clock();
  const result = await ctx.db.transaction(async (tx) => {
    await lockPaper(tx, existing.paper_id);
    const c = await lockComment(tx, input.commentId);
    assertEditable(c, input.commentId, input.actor);
    await updateCommentBody(tx, c.id, body, html, at);
    return { commentId: c.id, paperId: c.paper_id, shown: true, ...(await recount(tx, c.paper_id)) };
  });
  changed(ctx, result.paperId);
  return result;
}

/** Deletes the actor's own comment. Deleting it twice changes nothing the second time. */
export async function deleteComment(ctx: CommentsContext, input: { commentId: number; actor: Actor }): Promise<CommentChange> {
  const existing = await commentById(ctx.db, input.commentId);
  if (!existing) throw new CommentError('COMMENT_NOT_FOUND', `There is no comment ${input.commentId}.`);
  if (existing.user_id !== input.actor.id) throw new CommentError('NOT_YOURS', 'You can edit and delete only your own comments.');
  const at = ctx.clock();
  const result = await ctx.db.transaction(async (tx) => {
    await lockPaper(tx, existing.paper_id);
    const c = await lockComment(tx, input.commentId);
    if (!c) throw new CommentError('COMMENT_NOT_FOUND', `There is no comment ${input.commentId}.`);
    if (!c.deleted_at) await markCommentDeleted(tx, c.id, at);
    const replies = await tx.query<{ n: number }>(`SELECT count(*)::int AS n FROM comments WHERE parent_id = $1 AND deleted_at IS NULL`, [c.id]);
    return { commentId: c.id, paperId: c.paper_id, shown: replies[0].n > 0, ...(await recount(tx, c.paper_id)) };
  });
  changed(ctx, result.paperId);
  return result;
}

async function moderate(
  ctx: CommentsContext,
  input: { commentId: number; actor: Actor },
  change: (tx: Queryable, c: CommentRow) => Promise<void>,
): Promise<CommentChange> {
  if (!isModerator(input.actor)) throw new CommentError('NOT_MODERATOR', 'Only moderators can hide and unhide comments.');
  const existing = await commentById(ctx.db, input.commentId);
  if (!existing) throw new CommentError('COMMENT_NOT_FOUND', `There is no comment ${input.commentId}.`);
  const result = await ctx.db.transaction(async (tx) => {
    await lockPaper(tx, existing.paper_id);
    const c = await lockComment(tx, input.commentId);
    if (!c) throw new CommentError('COMMENT_NOT_FOUND', `There is no comment ${input.commentId}.`);
    if (c.deleted_at) throw new CommentError('DELETED', 'This comment was deleted by its author.');
    await change(tx, c);
    return { commentId: c.id, paperId: c.paper_id, shown: true, ...(await recount(tx, c.paper_id)) };
  });
  changed(ctx, result.paperId);
  return result;
}

/** A moderator hides a comment; the reason is shown in its place. Hiding again replaces the reason. */
export function hideComment(ctx: CommentsContext, input: { commentId: number; actor: Actor; reason: unknown }): Promise<CommentChange> {
  const reason = checkHideReason(input.reason);
  if (!reason.ok) return Promise.reject(new CommentError('INVALID_REASON', reason.error));
  return moderate(ctx, input, (tx, c) => setCommentHidden(tx, c.id, input.actor.id, reason.body, ctx.clock()));
}

/** A moderator shows a hidden comment again. */
export function unhideComment(ctx: CommentsContext, input: { commentId: number; actor: Actor }): Promise<CommentChange> {
  return moderate(ctx, input, (tx, c) => (c.hidden_at ? clearCommentHidden(tx, c.id) : Promise.resolve()));
}

// -- The thread as pages show it ----------------------------------------------------------------------

export type CommentState = 'visible' | 'deleted' | 'hidden';

export interface CommentNode {
  id: number;
  /** 1 for top-level comments. */
  level: number;
  state: CommentState;
  author: { id: number; username: string; displayName: string | null };
  /** Sanitised HTML ('' for a deleted comment). */
  bodyHtml: string;
  createdAt: Date;
  editedAt: Date | null;
  hiddenReason: string | null;
  replies: CommentNode[];
}

/**
 * The tree of a paper's comments from its rows (oldest first at every level). Deleted comments without
 * anything shown below them are left out.
 */
export function buildThread(rows: ThreadRow[]): CommentNode[] {
  const nodes = new Map<number, CommentNode & { parentId: number | null }>();
  for (const r of rows) {
    nodes.set(r.id, {
      id: r.id,
      parentId: r.parent_id,
      level: 1,
      state: r.deleted_at ? 'deleted' : r.hidden_at ? 'hidden' : 'visible',
      author: { id: r.user_id, username: r.username, displayName: r.display_name },
      bodyHtml: r.deleted_at ? '' : r.body_html,
      createdAt: new Date(r.created_at),
      editedAt: r.edited_at ? new Date(r.edited_at) : null,
      hiddenReason: r.hidden_at ? r.hidden_reason : null,
      replies: [],
    });
  }
  const top: CommentNode[] = [];
  for (const n of nodes.values()) {
    const parent = n.parentId !== null ? nodes.get(n.parentId) : undefined;
    if (parent) parent.replies.push(n);
    else top.push(n);
  }
  const prune = (list: CommentNode[], level: number): CommentNode[] =>
    list.flatMap((n) => {
      n.level = level;
      n.replies = prune(n.replies, level + 1);
      return n.state === 'deleted' && n.replies.length === 0 ? [] : [n];
    });
  return prune(top, 1);
}

/** A paper's comment thread (one query). */
export async function commentThread(db: Queryable, paperId: string): Promise<CommentNode[]> {
  return buildThread(await threadRows(db, paperId));
}

/** The paper a comment belongs to, or null (for links and redirects). */
export async function paperOfComment(db: Queryable, commentId: number): Promise<string | null> {
  return (await commentById(db, commentId))?.paper_id ?? null;
}
