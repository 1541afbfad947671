// Upvotes and the stored trending score. Each vote is one transaction that writes the vote row, moves
// papers.upvotes by exactly one when (and only when) the row was written or deleted, and stores the
// score computed from the new counts by the pure formula (ranking.ts). Listeners hear 'papers-changed'
// after the commit.
import type { Context } from '../context.ts';
import type { Queryable } from '../db/client.ts';
import { trendingScoreOfRow } from './ranking.ts';
import {
  addUpvotes,
  brokenVoteReference,
  countPapersForRecompute,
  deleteVote,
  getPaperCounts,
  insertVote,
  lockPaperBatch,
  setTrendingScore,
  voteCountsFor,
  writeScores,
  type PaperCounts,
} from './votes.repository.ts';

/** The paper voted on is not in the database. */
export class PaperNotFoundError extends Error {
  readonly code = 'PAPER_NOT_FOUND';
  constructor(readonly paperId: string) {
    super(`paper ${paperId} is not in the database`);
    this.name = 'PaperNotFoundError';
  }
}

/** The voting user does not exist. */
export class UserNotFoundError extends Error {
  readonly code = 'USER_NOT_FOUND';
  constructor(readonly userId: number) {
    super(`user ${userId} does not exist`);
    this.name = 'UserNotFoundError';
  }
}

export type VoteContext = Pick<Context, 'db' | 'events'>;

export interface VoteInput {
  userId: number;
  /** Canonical arXiv id without version ("2501.00001"). */
  paperId: string;
}

export interface VoteResult {
  paperId: string;
  /** Whether the user's vote is counted after the call. */
  voted: boolean;
  /** False when the call changed nothing (a second upvote, an unvote without a vote). */
  changed: boolean;
  upvotes: number;
  trendingScore: number;
}

const resultOf = (c: PaperCounts, voted: boolean, changed: boolean): VoteResult => ({
  paperId: c.id,
  voted,
  changed,
  upvotes: c.upvotes,
  trendingScore: c.trending_score,
});

async function castVote(ctx: VoteContext, input: VoteInput, up: boolean): Promise<VoteResult> {
  const result = await ctx.db.transaction(async (tx: Queryable) => {
    const before = await getPaperCounts(tx, input.paperId);
    if (!before) throw new PaperNotFoundError(input.paperId);
    let written: boolean;
    try {
      written = up ? await insertVote(tx, input.userId, input.paperId) : await deleteVote(tx, input.userId, input.paperId);
    } catch (err) {
      const broken = brokenVoteReference(err);
      if (broken === 'paper') throw new PaperNotFoundError(input.paperId); // deleted since the read above
      if (broken === 'user') throw new UserNotFoundError(input.userId);
      throw err;
    }
    // Nothing written: the counts are what they were (a concurrent vote by someone else may have moved
    // them since, but this call changed nothing and reports the state it saw).
    if (!written) return resultOf(before, up, false);
    const after = await addUpvotes(tx, input.paperId, up ? 1 : -1);
    const score = trendingScoreOfRow(after);
    await setTrendingScore(tx, input.paperId, score);
    return resultOf({ ...after, trending_score: score }, up, true);
  });
  if (result.changed) ctx.events.emit('papers-changed', { paperIds: [result.paperId] });
  return result;
}

/** Upvotes a paper. Idempotent: a second upvote by the same user changes nothing. */
export function upvote(ctx: VoteContext, input: VoteInput): Promise<VoteResult> {
  return castVote(ctx, input, true);
}

/** Withdraws an upvote. Idempotent: without a vote it changes nothing. */
export function unvote(ctx: VoteContext, input: VoteInput): Promise<VoteResult> {
  return castVote(ctx, input, false);
}

export interface RecomputeProgress {
  done: number;
  total: number;
  changed: number;
}

export interface RecomputeOptions {
  /** Papers per transaction. */
  batchSize?: number;
  /** Also set papers.upvotes to the number of vote rows (repairs counts after users were deleted). */
  recountVotes?: boolean;
  onProgress?: (p: RecomputeProgress) => void;
}

export interface RecomputeSummary {
  /** Papers visited. */
  papers: number;
  /** Papers whose score (or, with recountVotes, upvotes) changed. */
  changed: number;
  /** Papers whose upvotes were corrected (recountVotes only). */
  recounted: number;
  batches: number;
}

export const DEFAULT_RECOMPUTE_BATCH = 5000;

/**
 * Recomputes every paper's trending_score from its stored counts, for when the formula changes: batches
 * in id order (keyset), one transaction each, with the batch's rows locked so that the count updates of
 * votes arriving meanwhile wait and apply on top. The result equals what per-vote updates store.
 */
export async function recomputeAll(ctx: VoteContext, opts: RecomputeOptions = {}): Promise<RecomputeSummary> {
  const batchSize = opts.batchSize ?? DEFAULT_RECOMPUTE_BATCH;
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new RangeError('recomputeAll: batchSize must be a positive integer');
  const total = await countPapersForRecompute(ctx.db);
  const summary: RecomputeSummary = { papers: 0, changed: 0, recounted: 0, batches: 0 };
  let afterId: string | null = null;
  opts.onProgress?.({ done: 0, total, changed: 0 });
  for (;;) {
    const batch = await ctx.db.transaction(async (tx) => {
      const rows = await lockPaperBatch(tx, afterId, batchSize);
      if (rows.length === 0) return null;
      // Counted after the lock, in a new statement (so a new snapshot under READ COMMITTED): votes that
      // committed are in it; a vote still in flight adds or removes its one on top after this commits.
      const counts = opts.recountVotes ? await voteCountsFor(tx, rows.map((r) => r.id)) : null;
      let recounted = 0;
      const scores = rows.map((r) => {
        const upvotes = counts ? (counts.get(r.id) ?? 0) : r.upvotes;
        if (upvotes !== r.upvotes) recounted++;
        return { id: r.id, upvotes, score: trendingScoreOfRow({ ...r, upvotes }) };
      });
      const changed = await writeScores(tx, scores);
      return { size: rows.length, lastId: rows[rows.length - 1].id, changed, recounted };
    });
    if (!batch) break;
    afterId = batch.lastId;
    summary.papers += batch.size;
    summary.changed += batch.changed;
    summary.recounted += batch.recounted;
    summary.batches++;
    opts.onProgress?.({ done: summary.papers, total: Math.max(total, summary.papers), changed: summary.changed });
    if (batch.size < batchSize) break;
  }
  if (summary.changed > 0) ctx.events.emit('papers-changed', {});
  return summary;
}
