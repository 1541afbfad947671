// The trending formula (docs/trending.md), as pure functions. The score is stored in
// papers.trending_score and does not depend on the current time: it is an ordering key in which a newer
// listing starts higher and ten times the weighted votes are worth DECAY_SECONDS of listing time.
//
//   score = log10(max(1, weightedVotes)) + (listedAt - EPOCH) / DECAY_SECONDS
//   weightedVotes = upvotes + min(upvotes, COMMENT_WEIGHT * comments)
//
// Nothing here reads a clock, so a stored score stays right as time passes; it changes only when the
// paper's counts change (a vote, a comment) or the formula does (`paperpulse trending recompute`).

/** Zero of the time axis, 2025-01-01T00:00:00Z in milliseconds. Earlier listings get negative scores,
 *  which order just as well. Must be a midnight UTC (initialTrendingSql counts whole days from it). */
export const EPOCH_MS = Date.UTC(2025, 0, 1);

/** Seconds of listing time worth a tenfold of weighted votes: one day, the rhythm of the daily lists.
 *  A paper listed yesterday with 10 votes ties one listed today with 1 vote. */
export const DECAY_SECONDS = 86_400;

/** Weighted votes per comment (an upvote weighs 1). A user votes once but may comment many times. */
export const COMMENT_WEIGHT = 0.5;

/** Milliseconds in a day: listing days are UTC calendar days. */
const DAY_MS = 86_400_000;

if (EPOCH_MS % DAY_MS !== 0) throw new Error('ranking: EPOCH_MS must be a midnight UTC');

export interface TrendingInput {
  /** Upvotes (one per user), >= 0. */
  upvotes: number;
  /** Comments, >= 0. */
  comments: number;
  /** When the paper went onto its day's list (listedAtFor). */
  listedAt: Date;
}

function assertCount(name: string, n: number): void {
  if (!Number.isFinite(n) || n < 0) throw new RangeError(`trendingScore: ${name} must be a finite number >= 0, got ${n}`);
}

/**
 * Votes with comments mixed in: each comment weighs COMMENT_WEIGHT, but comments add at most as much as
 * the upvotes do (like Lobsters: a long thread on a paper nobody votes for is an argument, not interest).
 */
export function weightedVotes(upvotes: number, comments: number): number {
  assertCount('upvotes', upvotes);
  assertCount('comments', comments);
  return upvotes + Math.min(upvotes, COMMENT_WEIGHT * comments);
}

/** The trending score of a paper: higher is hotter. Independent of the current time. */
export function trendingScore(input: TrendingInput): number {
  const t = input.listedAt instanceof Date ? input.listedAt.getTime() : NaN;
  if (!Number.isFinite(t)) throw new RangeError('trendingScore: listedAt must be a valid Date');
  const order = Math.log10(Math.max(1, weightedVotes(input.upvotes, input.comments)));
  // One division of exact integers (milliseconds): correctly rounded, so SQL that divides the same
  // quantities (initialTrendingSql) gets the very same double.
  return order + (t - EPOCH_MS) / (DECAY_SECONDS * 1000);
}

const DATE_RE = /^(\d{4})-(\d{2})-(\d{2})$/;

/**
 * When a paper went onto the list of day `firstListed` (YYYY-MM-DD): that date at 00:00 UTC, which is
 * arXiv's announcement (20:00 New York time the evening before) in summer time and an hour before it in
 * winter time. A fixed UTC instant keeps the SQL form of the formula free of time-zone rules; every paper
 * of a day shares it, so only the order between days depends on it.
 *
 * A paper put onto a day's list later (a submission to today's list) is listed when it was submitted:
 * pass `submittedAt`. It is kept within its day, so that at equal votes a paper never outranks the
 * next day's list.
 */
export function listedAtFor(firstListed: string, submittedAt?: Date | null): Date {
  const m = DATE_RE.exec(firstListed);
  const start = m ? Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])) : NaN;
  if (!m || !Number.isFinite(start) || new Date(start).toISOString().slice(0, 10) !== firstListed) {
    throw new RangeError(`listedAtFor: "${firstListed}" is not a YYYY-MM-DD date`);
  }
  if (!submittedAt) return new Date(start);
  const s = submittedAt.getTime();
  if (!Number.isFinite(s)) throw new RangeError('listedAtFor: submittedAt must be a valid Date');
  return new Date(Math.min(Math.max(s, start), start + DAY_MS - 1));
}

/** The score of a stored row: counts and listing day as papers holds them. */
export function trendingScoreOfRow(row: { upvotes: number; num_comments: number; first_listed: string }): number {
  return trendingScore({ upvotes: row.upvotes, comments: row.num_comments, listedAt: listedAtFor(row.first_listed) });
}

/**
 * A SQL expression for the score of a paper without votes or comments, listed on the day held by the
 * `date` expression `firstListed` (e.g. 'r.first_listed'): what a new row's trending_score must be.
 * It is bit-for-bit equal to trendingScore({ upvotes: 0, comments: 0, listedAt: listedAtFor(day) }):
 * log10(1) is 0, the day difference times 86,400 is an exact integer, and the one division rounds the
 * same real number as the TypeScript division does (test/db/votes.test.ts checks it on both databases).
 */
export function initialTrendingSql(firstListed: string): string {
  const epochDay = new Date(EPOCH_MS).toISOString().slice(0, 10);
  return `((${firstListed}) - DATE '${epochDay}')::double precision * 86400 / ${DECAY_SECONDS}`;
}

/**
 * A SQL expression for the score of a paper's entry on the list of day `listDate` (a `date` expression),
 * put there at `submittedAt` (a `timestamptz` expression) by a member: the paper's stored score, which
 * counts its own listing day `firstListed`, moved to listedAtFor(listDate, submittedAt). It equals
 * trendingScore({ upvotes, comments, listedAt: listedAtFor(listDate, submittedAt) }) up to the last bits
 * (the stored score keeps the votes; only the time term changes), so `trending recompute` needs no
 * submission data: the entry's score follows the stored one. Lists order submitted entries by it.
 */
export function entryTrendingSql(score: string, firstListed: string, listDate: string, submittedAt: string): string {
  const dayStart = `((${listDate})::timestamp AT TIME ZONE 'UTC')`;
  const listedAt = `least(greatest(${submittedAt}, ${dayStart}), ${dayStart} + interval '${(DAY_MS - 1) / 1000} seconds')`;
  const firstStart = `((${firstListed})::timestamp AT TIME ZONE 'UTC')`;
  return `((${score}) + (extract(epoch FROM ${listedAt}) - extract(epoch FROM ${firstStart}))::double precision / ${DECAY_SECONDS})`;
}
