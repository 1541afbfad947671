// The submit pages: the form (arXiv id or link, optional note), the refusals (already on the list, no
// such paper, quota used, arXiv unreachable), the submissions section of the paper page with the
// moderators' remove form, and the "Submitted by" line of a paper card. Every form works without
// JavaScript and carries the session's CSRF token.
import type { SubmissionInfo } from '../../../submissions/submissions.repository.ts';
import { NOTE_MAX, REASON_MAX } from '../../../submissions/submissions.service.ts';
import { longDate } from '../format.ts';
import { html, type SafeHtml } from '../html.ts';
import { csrfInput, type AccountView } from './account.ts';

const head = (kicker: string, title: string, summary?: SafeHtml | string) => html`<div class="page-head">
<h1><span class="kicker">${kicker}</span> ${title}</h1>
${summary ? html`<p class="page-summary">${summary}</p>` : ''}
</div>`;

// (Not imported from components.ts, which imports this module for the cards.)
const paperPath = (id: string) => `/papers/${id}`;
const dayPath = (day: string) => `/papers/date/${day}`;
const userPath = (username: string) => `/users/${username}`;

/** "6 March 2026, 20:00 UTC": when a quota resets. */
function instantText(d: Date): string {
  return `${longDate(d.toISOString().slice(0, 10))}, ${d.toISOString().slice(11, 16)} UTC`;
}

export interface SubmitFormData {
  csrf: string;
  /** The list a submission goes onto now. */
  today: string;
  /** What was typed, shown again after a refusal. */
  paper?: string;
  note?: string;
  errors?: { paper?: string; note?: string };
  /** Papers the member may still submit today; null: no limit (moderators). */
  left?: number | null;
  quota?: number;
}

export function submitPage(d: SubmitFormData): AccountView {
  const paperErr = d.errors?.paper;
  const noteErr = d.errors?.note;
  const quotaLine =
    d.left === null || d.left === undefined
      ? ''
      : html`<p class="muted">You can submit ${d.left === 1 ? 'one more paper' : `${d.left} more papers`} to this list (${d.quota} a day).</p>`;
  return {
    title: 'Submit a paper',
    body: html`${head('Community', 'Submit a paper', html`Put an arXiv paper on the <a href="${dayPath(d.today)}">daily list of ${longDate(d.today)}</a>, with a note saying why it is worth reading.`)}
<section class="empty-state submit-form" aria-label="Submit a paper">
<form method="post" action="/submit" class="stack-form" novalidate>
${csrfInput(d.csrf)}
<label for="submit-paper">arXiv identifier or link</label>
<input id="submit-paper" type="text" name="paper" value="${d.paper ?? ''}" maxlength="300" required autocomplete="off" spellcheck="false" placeholder="2501.00001 or https://arxiv.org/abs/2501.00001"${paperErr ? html` aria-invalid="true" aria-describedby="submit-paper-error" autofocus` : html` aria-describedby="submit-paper-hint"`}>
<p id="submit-paper-hint" class="muted form-hint">An id (2501.00001, 2501.00001v2, hep-th/9901001) or an arxiv.org abs or PDF link. paperpulse reads the title and authors from arXiv.</p>
${paperErr ? html`<p id="submit-paper-error" class="form-error" role="alert"><strong>${paperErr}</strong></p>` : ''}
<label for="submit-note">Note <span class="muted">(optional, up to ${NOTE_MAX} characters)</span></label>
<textarea id="submit-note" name="note" rows="3" maxlength="${NOTE_MAX}"${noteErr ? html` aria-invalid="true" aria-describedby="submit-note-error"` : ''}>${d.note ?? ''}</textarea>
${noteErr ? html`<p id="submit-note-error" class="form-error" role="alert"><strong>${noteErr}</strong></p>` : ''}
<button type="submit">Submit</button>
</form>
${quotaLine}
</section>`,
  };
}

export function duplicatePage(existing: SubmissionInfo, title: string | null): AccountView {
  return {
    title: 'Already on the list',
    body: html`${head('Error 409', 'Already on the list')}
<section class="empty-state" aria-label="What happened">
<p role="alert"><a href="${paperPath(existing.paperId)}" dir="auto">${title ?? `arXiv:${existing.paperId}`}</a> is on the <a href="${dayPath(existing.listDate)}">list of ${longDate(existing.listDate)}</a> already, submitted by <a href="${userPath(existing.username)}">@${existing.username}</a>.</p>
<p><a class="existing-entry" href="${paperPath(existing.paperId)}#submissions">See the existing entry</a> · <a href="/submit">Submit another paper</a></p>
</section>`,
  };
}

export function unknownPaperPage(id: string, message: string): AccountView {
  return {
    title: 'No such paper',
    body: html`${head('Error 404', 'No such paper on arXiv')}
<section class="empty-state" aria-label="What happened">
<p role="alert">${message}</p>
<p><a href="/submit">Try another identifier</a></p>
</section>`,
  };
}

export function quotaPage(quota: number, resetsAt: Date, message: string): AccountView {
  return {
    title: 'Daily limit reached',
    body: html`${head('Error 429', 'Daily limit reached')}
<section class="empty-state" aria-label="What happened">
<p role="alert">${message}</p>
${quota > 0 ? html`<p>You can submit again from <time datetime="${resetsAt.toISOString()}">${instantText(resetsAt)}</time>, when the next daily list opens.</p>` : ''}
<p><a href="/papers">Go to the latest papers</a></p>
</section>`,
  };
}

export function arxivUnavailablePage(message: string, paper = ''): AccountView {
  return {
    title: 'arXiv cannot be reached',
    body: html`${head('Error 503', 'Try again later')}
<section class="empty-state" aria-label="What happened">
<p role="alert">${message}</p>
<p><a href="${paper ? `/submit?paper=${encodeURIComponent(paper)}` : '/submit'}">Back to the form</a></p>
</section>`,
  };
}

/** "Submitted by @ada: note", on a card of a list that holds the paper because of this submission. */
export function submittedByLine(s: SubmissionInfo): SafeHtml {
  return html`<p class="submitted-by">Submitted by <a href="${userPath(s.username)}">@${s.username}</a>${s.note ? html`: <q dir="auto">${s.note}</q>` : ''}</p>`;
}

/** What the paper page shows of a moderator: whether they see remove forms (and removed entries). */
export interface ModeratorView {
  csrf: string;
}

/** The paper page's list of the daily lists members put this paper on. */
export function submissionsSection(subs: SubmissionInfo[], moderator: ModeratorView | null, confirmation: SubmissionInfo | null): SafeHtml {
  const shown = moderator ? subs : subs.filter((s) => !s.removedAt);
  if (shown.length === 0 && !confirmation) return html``;
  const item = (s: SubmissionInfo) => html`<li class="submission${s.removedAt ? ' removed' : ''}" id="submission-${s.id}">
<p>On the <a href="${dayPath(s.listDate)}">list of ${longDate(s.listDate)}</a>, submitted by <a href="${userPath(s.username)}">@${s.username}</a>${s.note ? html`: <q dir="auto">${s.note}</q>` : ''}</p>
${s.removedAt
    ? html`<p class="muted">Removed${s.removedBy ? html` by @${s.removedBy}` : ''}${s.removedReason ? html`: <span dir="auto">${s.removedReason}</span>` : ''}.</p>`
    : moderator
      ? html`<form method="post" action="/submissions/${s.id}/remove" class="remove-submission-form">
${csrfInput(moderator.csrf)}
<label for="remove-reason-${s.id}">Reason <span class="muted">(optional)</span></label>
<input id="remove-reason-${s.id}" type="text" name="reason" maxlength="${REASON_MAX}">
<button type="submit" class="secondary">Remove from the list</button>
</form>`
      : ''}
</li>`;
  return html`<section id="submissions" aria-labelledby="submissions-title">
<h2 id="submissions-title">Submitted by members</h2>
${confirmation ? html`<p class="notice" role="status">Thank you: the paper is on the <a href="${dayPath(confirmation.listDate)}">list of ${longDate(confirmation.listDate)}</a>.</p>` : ''}
${shown.length ? html`<ul class="submission-list">${shown.map(item)}</ul>` : ''}
</section>`;
}
