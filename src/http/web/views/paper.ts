// The paper page, and the page for an id this paperpulse does not hold.
import { isNewListing } from '../../../feed/periods.ts';
import { absUrl, htmlUrl, pdfUrl } from '../../../papers/arxiv-id.ts';
import type { Paper } from '../../../papers/paper.ts';
import { bibtex, excerpt, plural, shortDate } from '../format.ts';
import { html, safeUrl, type SafeHtml } from '../html.ts';
import { authorPath, newBadge, paperPath, upvoteButton, type VoteView } from './components.ts';
import type { PaperSummary } from '../../../feed/feed.repository.ts';
import { periodPath } from './feeds.ts';
import { dayPeriod } from '../../../feed/periods.ts';

/** The "Similar papers" section's content: null model = no model trained yet. */
export interface SimilarView {
  model: string | null;
  papers: PaperSummary[];
}

function similarSection(sim: SimilarView | undefined): SafeHtml {
  let content: SafeHtml;
  if (!sim) content = html`<p class="muted">No similar papers to show.</p>`;
  else if (!sim.model) content = html`<p class="muted">Similar papers appear after the search model is trained: run <code>paperpulse model train</code>.</p>`;
  else if (sim.papers.length === 0) content = html`<p class="muted">No similar papers yet: this paper arrived after the search model was trained.</p>`;
  else {
    content = html`<ol class="similar-list">
${sim.papers.map((p) => html`<li><a href="${paperPath(p.id)}" dir="auto">${p.title}</a> <span class="paper-meta"><span class="category">${p.primaryCategory}</span> <span class="sep" aria-hidden="true">·</span> <time datetime="${p.firstListed}">${shortDate(p.firstListed)}</time></span></li>`)}
</ol>`;
  }
  return html`<section id="similar" aria-labelledby="similar-title">
<h2 id="similar-title">Similar papers</h2>
${content}
</section>`;
}

export interface PaperView {
  title: string;
  description: string;
  body: SafeHtml;
}

const time = (iso: string) => html`<time datetime="${iso}">${shortDate(iso)}</time>`;

function detail(term: string, value: SafeHtml | string | null): SafeHtml | '' {
  return value ? html`<div><dt>${term}</dt><dd>${value}</dd></div>` : '';
}

export function paperPage(p: Paper, now: Date, similar?: SimilarView, votes?: VoteView, comments?: SafeHtml, submissions?: SafeHtml): PaperView {
  const links: [string, string | null][] = [
    ['arXiv page', absUrl(p.id)],
    ['PDF', pdfUrl(p.id)],
    ['HTML', htmlUrl(p.id)],
    ['Code', safeUrl(p.githubRepo)],
    ['Project page', safeUrl(p.projectPage)],
  ];
  const versions = p.versions.length
    ? html`<ol class="versions">${p.versions.map((v) => html`<li>v${v.version}: ${time(v.date)}</li>`)}</ol>`
    : p.version
      ? `v${p.version}`
      : null;
  const license = p.license ? (safeUrl(p.license) ? html`<a href="${safeUrl(p.license)}">${p.license}</a>` : p.license) : null;
  const body = html`<article class="paper" data-paper-id="${p.id}" id="paper-${p.id}">
<header class="paper-head">
<p class="paper-meta">${isNewListing(p.firstListed, now) ? html`${newBadge} ` : ''}<span class="category">${p.primaryCategory}</span> <span class="sep" aria-hidden="true">·</span> Listed <a href="${periodPath(dayPeriod(p.firstListed))}">${time(p.firstListed)}</a> <span class="sep" aria-hidden="true">·</span> arXiv:${p.id}${p.version ? `v${p.version}` : ''}</p>
<h1 dir="auto">${p.title}</h1>
<ul class="author-list" aria-label="Authors">${p.authors.map((a) => html`<li><a href="${authorPath(a)}"><bdi>${a}</bdi></a></li>`)}</ul>
${p.organization ? html`<p class="org"><bdi>${p.organization}</bdi></p>` : ''}
<div class="paper-actions">${upvoteButton(p, votes)}<ul class="paper-links">${links.map(([label, href]) => (href ? html`<li><a href="${href}">${label}</a></li>` : ''))}</ul></div>
</header>
${submissions ?? ''}
<section aria-labelledby="abstract-title">
<h2 id="abstract-title">Abstract</h2>
<p class="abstract" dir="auto">${p.abstract}</p>
</section>
<section aria-labelledby="details-title">
<h2 id="details-title">Details</h2>
<dl class="details">
${detail('Categories', html`<ul class="categories">${p.categories.map((c, i) => html`<li>${c}${i === 0 ? ' (primary)' : ''}</li>`)}</ul>`)}
${detail('Listed', time(p.firstListed))}
${detail('Submitted (v1)', p.publishedAt ? time(p.publishedAt) : null)}
${detail('Updated', p.updatedAt && p.updatedAt !== p.publishedAt ? time(p.updatedAt) : null)}
${detail('Versions', versions)}
${detail('Comment', p.comment ? html`<span dir="auto">${p.comment}</span>` : null)}
${detail('Journal reference', p.journalRef ? html`<span dir="auto">${p.journalRef}</span>` : null)}
${detail('DOI', p.doi ? html`<a href="${`https://doi.org/${p.doi.split('/').map(encodeURIComponent).join('/')}`}">${p.doi}</a>` : null)}
${detail('License', license)}
</dl>
</section>
<section aria-labelledby="cite-title">
<h2 id="cite-title">Cite</h2>
<pre id="bibtex" class="bibtex">${bibtex(p)}</pre>
<button type="button" class="js-only copy-button" data-copy-target="bibtex">Copy</button>
</section>
${comments ?? html`<section id="comments" aria-labelledby="comments-title">
<h2 id="comments-title">Comments</h2>
<p class="muted">${p.numComments > 0 ? plural(p.numComments, 'comment') : 'No comments yet.'}</p>
</section>`}
${similarSection(similar)}
</article>`;
  return { title: p.title, description: excerpt(p.abstract, 200), body };
}

/** A well-formed id that this paperpulse does not hold: where to read it, and how to add it. */
export function paperNotFoundPage(id: string): PaperView {
  const body = html`<div class="page-head">
<h1><span class="kicker">Not here yet</span> arXiv:${id}</h1>
</div>
<section class="empty-state" aria-labelledby="missing-title">
<h2 id="missing-title">This paper is not in this paperpulse yet</h2>
<p>You can read it on arXiv: <a href="${absUrl(id)}">${absUrl(id)}</a>.</p>
<p>To add it here, run on the server:</p>
<pre><code>paperpulse ingest arxiv --ids ${id}</code></pre>
</section>`;
  return { title: `arXiv:${id} is not here yet`, description: '', body };
}
