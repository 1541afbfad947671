// Pieces several pages use: the paper card and its list, the upvote button, paging links, the empty-database
// notice.
import type { PaperSummary } from '../../../feed/feed.repository.ts';
import { isNewListing } from '../../../feed/periods.ts';
import { absUrl, pdfUrl } from '../../../papers/arxiv-id.ts';
import { excerpt, plural, shortDate } from '../format.ts';
import { escapeHtml, html, raw, safeUrl, type SafeHtml } from '../html.ts';
import { tokenize } from '../../../search/text.ts';
import { submittedByLine } from './submit.ts';

export const paperPath = (id: string) => `/papers/${id}`;
export const authorPath = (name: string) => `/authors/${encodeURIComponent(name)}`;

/** path with the given query parameters; undefined ones are left out. */
export function withQuery(path: string, params: Record<string, string | number | undefined>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== '') q.set(k, String(v));
  const s = q.toString();
  return s ? `${path}?${s}` : path;
}

/** What a page's upvote buttons need to know about who is looking (absent: the anonymous, shareable page). */
export interface VoteView {
  /** Where the no-JavaScript form comes back to (a local path; the card's anchor is added by the server). */
  next: string;
  /** The member's session CSRF token; null on pages rendered for nobody in particular. */
  csrf: string | null;
  /** The papers on the page that the member has upvoted. */
  voted: ReadonlySet<string>;
}

/**
 * The upvote button: a form that POSTs to /papers/{id}/upvote (or /unvote when pressed) and works without
 * JavaScript; src/http/assets/votes.ts sends it with fetch instead and updates it in place. A toggle button
 * (aria-pressed) whose accessible name stays "Upvote, N upvotes"; its title says what pressing does. The same
 * markup for anonymous visitors, whose POST is sent to sign in.
 */
export function upvoteButton(p: { id: string; upvotes: number }, votes?: VoteView): SafeHtml {
  const voted = votes?.voted.has(p.id) ?? false;
  return html`<form class="vote-form" method="post" action="${paperPath(p.id)}/${voted ? 'unvote' : 'upvote'}">${votes ? html`<input type="hidden" name="next" value="${votes.next}">` : ''}${votes?.csrf ? html`<input type="hidden" name="_csrf" value="${votes.csrf}">` : ''}<button type="submit" class="upvotes upvote-button" data-paper-id="${p.id}" aria-pressed="${voted ? 'true' : 'false'}" title="${voted ? 'Remove upvote' : 'Upvote'}"><span class="upvote-arrow" aria-hidden="true">▲</span> <span class="visually-hidden">Upvote, </span><span class="upvote-count">${p.upvotes}</span><span class="visually-hidden"> ${p.upvotes === 1 ? 'upvote' : 'upvotes'}</span></button></form>`;
}

export const newBadge = html`<span class="badge badge-new">New</span>`;

/**
 * Text with the words whose stem is in `stems` wrapped in <mark>: every piece is escaped first, the marks are
 * the only markup added.
 */
export function highlight(text: string, stems: ReadonlySet<string> | undefined): SafeHtml | string {
  if (!stems || stems.size === 0) return text;
  let out = '';
  for (const piece of text.split(/([\p{L}\p{N}]+)/u)) {
    if (!piece) continue;
    const t = /^[\p{L}\p{N}]+$/u.test(piece) ? tokenize(piece) : [];
    out += t.length === 1 && stems.has(t[0]) ? `<mark>${escapeHtml(piece)}</mark>` : escapeHtml(piece);
  }
  return raw(out);
}

export function paperCard(p: PaperSummary, now: Date, level: 2 | 3 = 2, marks?: ReadonlySet<string>, votes?: VoteView): SafeHtml {
  const h = `h${level}`;
  const code = safeUrl(p.githubRepo);
  return html`<li><article class="paper-card" data-paper-id="${p.id}" id="paper-${p.id}">
<${h} class="paper-title"><a href="${paperPath(p.id)}" dir="auto">${highlight(p.title, marks)}</a></${h}>
<p class="paper-meta">${isNewListing(p.submission?.listDate ?? p.firstListed, now) ? html`${newBadge} ` : ''}<span class="category">${p.primaryCategory}</span> <span class="sep" aria-hidden="true">·</span> <time datetime="${p.firstListed}">${shortDate(p.firstListed)}</time> <span class="sep" aria-hidden="true">·</span> ${p.organization ? html`<bdi class="org">${p.organization}</bdi>` : plural(p.authorCount, 'author')}</p>
<p class="paper-abstract" dir="auto">${highlight(excerpt(p.abstractStart), marks)}</p>
${p.submission ? submittedByLine(p.submission) : ''}
<div class="paper-actions">${upvoteButton(p, votes)}<ul class="paper-links">
<li><a href="${absUrl(p.id)}">arXiv</a></li>
<li><a href="${pdfUrl(p.id)}">PDF</a></li>
${code ? html`<li><a href="${code}">Code</a></li>` : ''}
${p.numComments > 0 ? html`<li><a class="comment-count-link" href="${paperPath(p.id)}#comments">${plural(p.numComments, 'comment')}</a></li>` : ''}
</ul></div>
</article></li>`;
}

export function paperList(papers: PaperSummary[], now: Date, level: 2 | 3 = 2, marks?: ReadonlySet<string>, votes?: VoteView): SafeHtml {
  return html`<ol class="paper-list">
${papers.map((p) => paperCard(p, now, level, marks, votes))}
</ol>`;
}

/** Previous/next page links; nothing when everything fits on one page. */
export function pagination(opts: {
  page: number;
  /** Known number of pages, or null when only `hasMore` is known (search). */
  pages: number | null;
  hasMore?: boolean;
  href: (page: number) => string;
}): SafeHtml | '' {
  const { page, pages } = opts;
  const hasNext = pages === null ? Boolean(opts.hasMore) : page < pages;
  if (page <= 1 && !hasNext) return '';
  return html`<nav class="pagination" aria-label="Pages">
${page > 1 ? html`<a class="page-prev" href="${opts.href(page - 1)}"><span aria-hidden="true">← </span>Previous page</a>` : html`<span class="page-prev disabled">Previous page</span>`}
<span class="page-of">${pages === null ? `Page ${page}` : `Page ${page} of ${pages}`}</span>
${hasNext ? html`<a class="page-next" href="${opts.href(page + 1)}">Next page<span aria-hidden="true"> →</span></a>` : html`<span class="page-next disabled">Next page</span>`}
</nav>`;
}

/** What to do on a site with no papers at all. */
export const noPapersYet = html`<section class="empty-state" aria-labelledby="empty-title">
<h2 id="empty-title">No papers yet</h2>
<p>This paperpulse has no papers yet. A server that can reach arXiv harvests recent papers on its first start; you can also add papers from the command line:</p>
<pre><code>paperpulse import FILE                 # a JSON lines, Kaggle, arXiv or Hugging Face file
paperpulse ingest arxiv --help         # harvest from arXiv by id, query or date range</code></pre>
<p>Then reload this page.</p>
</section>`;
