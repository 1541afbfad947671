// Submitting papers to the daily list (issue 5) and removing them (moderators). No HTTP here.
//
// submit(member, input, note):
//   1. parse the arXiv id or URL (abs, pdf, versioned, "arXiv:" prefixed; papers/arxiv-id.ts);
//   2. refuse early, before asking arXiv anything, what the transaction would refuse anyway (quota, a
//      paper already on today's list);
//   3. if the paper is not stored, fetch it by id from the arXiv API with the polite client (one queue
//      for every submission of this process, short time limits); arXiv unreachable: nothing written;
//   4. in one transaction: lock the member (so concurrent submissions count right), check the quota,
//      insert; the unique index refuses a second live entry of the paper on the day, race-safe;
//   5. emit 'papers-changed' so cached pages show it.
//
// "Today" is the daily list current at the site's clock (papers/listing.ts currentListingDay): the list
// of arXiv's most recent announcement, which is also the newest day /papers shows once it is harvested.
// The quota counts the member's live submissions on that list and resets with the next announcement.
import type { Context } from '../context.ts';
import type { Queryable } from '../db/client.ts';
import { isModerator, type Member } from '../accounts/accounts.service.ts';
import {
  ArxivApiError,
  ArxivError,
  createArxivClient,
  type ArxivClient,
  type ArxivClientOptions,
} from '../ingest/arxiv-client.ts';
import { harvestIds } from '../ingest/harvest.service.ts';
import { parseArxivId } from '../papers/arxiv-id.ts';
import { currentListingDay, nextAnnouncement } from '../papers/listing.ts';
import { cleanText } from '../papers/paper.ts';
import { getPaper } from '../papers/papers.repository.ts';
import {
  countLiveSubmissions,
  insertSubmission,
  liveSubmissionOn,
  lockSubmitter,
  markRemoved,
  submissionById,
  type SubmissionInfo,
} from './submissions.repository.ts';

export type { SubmissionInfo } from './submissions.repository.ts';

/** Longest note, in characters (the column's check says the same). */
export const NOTE_MAX = 500;
/** Longest removal reason, in characters. */
export const REASON_MAX = 500;

export type SubmitOutcome =
  | { kind: 'submitted'; submission: SubmissionInfo; title: string; fetched: boolean }
  /** The text is not an arXiv id or URL, or the note is too long. */
  | { kind: 'invalid'; field: 'paper' | 'note'; message: string }
  /** arXiv has no such paper. */
  | { kind: 'unknown'; id: string; message: string }
  /** The paper is on this day's list already. */
  | { kind: 'duplicate'; existing: SubmissionInfo; message: string }
  /** The member has used the day's quota. */
  | { kind: 'quota'; quota: number; resetsAt: Date; message: string }
  /** arXiv could not be asked (unreachable, busy, broken answer): nothing was written. */
  | { kind: 'unavailable'; message: string };

export type RemoveOutcome =
  | { kind: 'removed'; paperId: string; listDate: string }
  | { kind: 'forbidden'; message: string }
  | { kind: 'not-found'; message: string }
  | { kind: 'already-removed'; submission: SubmissionInfo; message: string }
  | { kind: 'invalid'; message: string };

export interface SubmissionServiceOptions {
  /** The arXiv client (tests); default: one built from the configuration with the limits below. */
  arxiv?: ArxivClient;
  /** Overrides of the default client's options (time limit, retries). */
  arxivOptions?: Partial<ArxivClientOptions>;
  /** Fetches from arXiv waiting or running at once; more are answered "busy, try again". */
  maxPendingFetches?: number;
}

/** Cleans a note: control characters out, runs of white space to one space; '' means none. */
export function cleanNote(input: unknown): { ok: true; note: string | null } | { ok: false; message: string } {
  if (input === undefined || input === null) return { ok: true, note: null };
  if (typeof input !== 'string') return { ok: false, message: 'The note must be text.' };
  const note = cleanText(input);
  const length = [...note].length;
  if (length > NOTE_MAX) return { ok: false, message: `The note is ${length} characters long; at most ${NOTE_MAX} fit.` };
  return { ok: true, note: note || null };
}

const exempt = (m: Member) => isModerator(m);

export class SubmissionService {
  private client: ArxivClient | null;
  private pending = 0;
  private readonly maxPending: number;

  constructor(
    private readonly ctx: Context,
    private readonly opts: SubmissionServiceOptions = {},
  ) {
    this.client = opts.arxiv ?? null;
    this.maxPending = opts.maxPendingFetches ?? 5;
  }

  /** The list a submission made now goes onto. */
  today(): string {
    return currentListingDay(this.ctx.clock());
  }

  /** When the quota of today's list starts again: arXiv's next announcement opens the next list. */
  quotaResetsAt(): Date {
    return nextAnnouncement(this.ctx.clock());
  }

  /** The member's quota: submissions left on today's list (null: exempt, no limit). */
  async remaining(member: Member): Promise<{ quota: number; used: number; left: number } | null> {
    if (exempt(member)) return null;
    const quota = this.ctx.config.submissionDailyQuota;
    const used = await countLiveSubmissions(this.ctx.db, member.id, this.today());
    return { quota, used, left: Math.max(0, quota - used) };
  }

  async submit(member: Member, input: unknown, noteInput?: unknown): Promise<SubmitOutcome> {
    const text = typeof input === 'string' ? input.trim() : '';
    if (!text) return { kind: 'invalid', field: 'paper', message: 'Enter an arXiv identifier or link, e.g. 2501.00001 or https://arxiv.org/abs/2501.00001.' };
    const parsed = parseArxivId(text);
    if (!parsed) {
      return {
        kind: 'invalid',
        field: 'paper',
        message: `“${text.slice(0, 100)}” is not an arXiv identifier or link. Paste an id such as 2501.00001 (or 2501.00001v2, hep-th/9901001) or an arxiv.org/abs or /pdf link.`,
      };
    }
    const note = cleanNote(noteInput);
    if (!note.ok) return { kind: 'invalid', field: 'note', message: note.message };
    const id = parsed.id;
    const day = this.today();
    const db = this.ctx.db;

    // Early refusals (repeated in the transaction, where they count).
    const quota = await this.quotaRefusal(db, member, day);
    if (quota) return quota;
    const existing = await liveSubmissionOn(db, id, day);
    if (existing) return duplicate(existing);

    let fetched = false;
    let paper = await getPaper(db, id);
    if (!paper) {
      const outcome = await this.fetchFromArxiv(id);
      if (outcome) return outcome;
      paper = await getPaper(db, id);
      if (!paper) return unknown(id);
      fetched = true;
    }

    const result = await db.transaction(async (tx) => {
      await lockSubmitter(tx, member.id);
      const refusal = await this.quotaRefusal(tx, member, day);
      if (refusal) return refusal;
      const newId = await insertSubmission(tx, { paperId: id, listDate: day, userId: member.id, note: note.note, at: this.ctx.clock() });
      return newId;
    });
    if (typeof result !== 'number') {
      if (result) return result;
      const taken = await liveSubmissionOn(db, id, day);
      // Removed again between the insert and this read: rare enough to ask for another try.
      if (!taken) return { kind: 'unavailable', message: 'The list changed while your submission was saved. Please send it again.' };
      return duplicate(taken);
    }
    this.ctx.events.emit('papers-changed', { paperIds: [id] });
    const submission = (await submissionById(db, result))!;
    this.ctx.log.info({ paper: id, user: member.username, listDate: day, fetched }, 'paper submitted');
    return { kind: 'submitted', submission, title: paper.title, fetched };
  }

  /** Moderators (and admins) remove a live submission, with an optional reason. */
  async remove(moderator: Member, submissionId: number, reasonInput?: unknown): Promise<RemoveOutcome> {
    if (!isModerator(moderator)) return { kind: 'forbidden', message: 'Only moderators can remove submissions.' };
    const reason = typeof reasonInput === 'string' ? cleanText(reasonInput) : '';
    if ([...reason].length > REASON_MAX) return { kind: 'invalid', message: `The reason is too long: at most ${REASON_MAX} characters.` };
    const removed = await markRemoved(this.ctx.db, submissionId, moderator.id, reason || null, this.ctx.clock());
    if (!removed) {
      const s = await submissionById(this.ctx.db, submissionId);
      if (!s) return { kind: 'not-found', message: `There is no submission ${submissionId}.` };
      return { kind: 'already-removed', submission: s, message: 'This submission was removed already.' };
    }
    this.ctx.events.emit('papers-changed', { paperIds: [removed.paperId] });
    this.ctx.log.info({ submission: submissionId, paper: removed.paperId, moderator: moderator.username }, 'submission removed');
    return { kind: 'removed', ...removed };
  }

  private async quotaRefusal(db: Queryable, member: Member, day: string): Promise<SubmitOutcome | null> {
    if (exempt(member)) return null;
    const quota = this.ctx.config.submissionDailyQuota;
    const used = quota === 0 ? 0 : await countLiveSubmissions(db, member.id, day);
    if (used < quota) return null;
    const resetsAt = this.quotaResetsAt();
    return {
      kind: 'quota',
      quota,
      resetsAt,
      message:
        quota === 0
          ? 'On this site only moderators submit papers.'
          : `You have submitted ${quota === 1 ? 'a paper' : `${quota} papers`} to today’s list, the most one member may. The next list opens with arXiv’s next announcement.`,
    };
  }

  /** Fetches one paper by id; returns a refusal, or null when arXiv answered (found or not). */
  private async fetchFromArxiv(id: string): Promise<SubmitOutcome | null> {
    if (this.pending >= this.maxPending) {
      return { kind: 'unavailable', message: 'Many papers are being looked up on arXiv right now. Please try again in a minute.' };
    }
    this.pending++;
    try {
      const result = await harvestIds(this.ctx, this.arxivClient(), [id]);
      if (result.notFound.length > 0) return unknown(id);
      if (result.rejected > 0) return { kind: 'unavailable', message: `arXiv’s record of ${id} could not be read. Please try again later.` };
      return null;
    } catch (err) {
      if (err instanceof ArxivApiError) return unknown(id);
      if (err instanceof ArxivError) {
        this.ctx.log.warn({ paper: id, err: err.message }, 'submission: arXiv lookup failed');
        return { kind: 'unavailable', message: 'arXiv cannot be reached right now, so the paper could not be looked up. Nothing was saved; please try again later.' };
      }
      throw err;
    } finally {
      this.pending--;
    }
  }

  private arxivClient(): ArxivClient {
    // One client (one queue, one pause between requests) for every submission of this process. Short
    // limits: a person is waiting for the answer.
    this.client ??= createArxivClient(this.ctx.config, this.ctx.log, undefined, {
      timeoutMs: 15_000,
      maxRetries: 1,
      backoffBaseMs: 1_000,
      maxWaitMs: 5_000,
      ...this.opts.arxivOptions,
    });
    return this.client;
  }
}

function duplicate(existing: SubmissionInfo): SubmitOutcome {
  return { kind: 'duplicate', existing, message: `This paper is on the list of ${existing.listDate} already, submitted by @${existing.username}.` };
}

function unknown(id: string): SubmitOutcome {
  return { kind: 'unknown', id, message: `arXiv has no paper ${id}. Check the identifier: new papers appear on arXiv after their announcement.` };
}
