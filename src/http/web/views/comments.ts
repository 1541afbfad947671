// The comments of a paper page, and the page of the comment form (editing, or a comment sent back with
// what is wrong with it). Everything works without JavaScript: forms post, "Reply", "Delete" and "Hide"
// open with <details>. Controls appear only for whoever may use them; the server checks again anyway.
//
// Comment bodies are HTML sanitised when the comment was saved (src/comments/markdown.ts) and are the
// only markup here that does not come from these templates; names, reasons and Markdown are escaped.
import type { CommentNode } from '../../../comments/comments.service.ts';
import { MAX_COMMENT_CHARS } from '../../../comments/markdown.ts';
import { plural } from '../format.ts';
import { html, raw, type SafeHtml } from '../html.ts';
import { csrfInput } from './account.ts';
import { paperPath } from './components.ts';
import type { HeaderViewer } from './layout.ts';

const WHEN = new Intl.DateTimeFormat('en-US', {
  timeZone: 'UTC', month: 'short', day: 'numeric', year: 'numeric', hour: '2-digit', minute: '2-digit', hourCycle: 'h23',
});

const when = (d: Date) => html`<time datetime="${d.toISOString()}">${WHEN.format(d)} UTC</time>`;

export const commentAnchor = (id: number) => `comment-${id}`;
export const commentsPath = (paperId: string) => `${paperPath(paperId)}/comments`;
export const signInToCommentHref = (paperId: string) => `/signin?next=${encodeURIComponent(`${paperPath(paperId)}#comments`)}`;

const isModerator = (v: HeaderViewer | null | undefined) => v?.role === 'moderator' || v?.role === 'admin';

const MARKDOWN_HELP = html`<p class="muted comment-help" id="comment-help">Markdown: **bold**, *italic*, \`code\`, [a link](https://example.org), &gt; quotes, lists. Images and HTML are not shown. At most ${MAX_COMMENT_CHARS.toLocaleString('en-US')} characters.</p>`;

function authorName(n: CommentNode): SafeHtml {
  const a = n.author;
  return html`<a class="comment-author" href="/users/${a.username}"><bdi>${a.displayName || a.username}</bdi></a>${a.displayName ? html` <span class="muted">@${a.username}</span>` : ''}`;
}

function replyForm(paperId: string, n: CommentNode, viewer: HeaderViewer): SafeHtml {
  const id = `reply-${n.id}`;
  return html`<details class="comment-reply">
<summary>Reply</summary>
<form method="post" action="${commentsPath(paperId)}" class="stack-form comment-form">
${csrfInput(viewer.csrf)}<input type="hidden" name="parent_id" value="${n.id}">
<label for="${id}">Reply to ${n.author.displayName || n.author.username}</label>
<textarea id="${id}" name="body" rows="3" required aria-describedby="comment-help"></textarea>
<button type="submit">Post reply</button>
</form>
</details>`;
}

function controls(paperId: string, n: CommentNode, viewer: HeaderViewer | null | undefined): SafeHtml | '' {
  if (!viewer) return '';
  const own = n.author.id === viewer.id;
  const mod = isModerator(viewer);
  const items: SafeHtml[] = [];
  if (n.state === 'visible') items.push(replyForm(paperId, n, viewer));
  if (own && n.state === 'visible') items.push(html`<a class="comment-edit" href="/comments/${n.id}/edit">Edit</a>`);
  if (own && n.state !== 'deleted') {
    items.push(html`<details class="comment-delete">
<summary>Delete</summary>
<form method="post" action="/comments/${n.id}/delete" class="inline-form">${csrfInput(viewer.csrf)}<button type="submit" class="secondary">Delete this comment</button></form>
</details>`);
  }
  if (mod && n.state === 'visible') {
    const id = `hide-reason-${n.id}`;
    items.push(html`<details class="comment-hide">
<summary>Hide</summary>
<form method="post" action="/comments/${n.id}/hide" class="stack-form">
${csrfInput(viewer.csrf)}
<label for="${id}">Reason (shown in place of the comment)</label>
<input id="${id}" name="reason" maxlength="500" required>
<button type="submit" class="secondary">Hide comment</button>
</form>
</details>`);
  }
  if (mod && n.state === 'hidden') {
    items.push(html`<form method="post" action="/comments/${n.id}/unhide" class="inline-form">${csrfInput(viewer.csrf)}<button type="submit" class="secondary">Unhide</button></form>`);
  }
  return items.length ? html`<div class="comment-actions">${items}</div>` : '';
}

function commentItem(paperId: string, n: CommentNode, viewer: HeaderViewer | null | undefined): SafeHtml {
  let content: SafeHtml;
  if (n.state === 'deleted') {
    content = html`<p class="comment-meta muted">[deleted]</p>`;
  } else {
    const meta = html`<p class="comment-meta">${authorName(n)} <span class="sep" aria-hidden="true">·</span> <a class="comment-link" href="#${commentAnchor(n.id)}">${when(n.createdAt)}</a>${n.editedAt ? html` <span class="sep" aria-hidden="true">·</span> <span class="comment-edited" title="${`Edited ${WHEN.format(n.editedAt)} UTC`}">edited</span>` : ''}</p>`;
    if (n.state === 'hidden') {
      content = html`${meta}<p class="comment-hidden"><em>Hidden by a moderator: ${n.hiddenReason ?? 'no reason given'}</em></p>${isModerator(viewer) ? html`<details class="comment-hidden-text"><summary>Show the hidden text (moderators only)</summary><div class="comment-body" dir="auto">${raw(n.bodyHtml)}</div></details>` : ''}`;
    } else {
      // Sanitised when saved (comments.service.ts → markdown.ts).
      content = html`${meta}<div class="comment-body" dir="auto">${raw(n.bodyHtml)}</div>`;
    }
  }
  return html`<li id="${commentAnchor(n.id)}" class="comment comment-${n.state}" data-comment-id="${n.id}" data-level="${n.level}">
<article class="comment-card" aria-label="${n.state === 'deleted' ? 'Deleted comment' : `Comment by ${n.author.displayName || n.author.username}`}">
${content}
${controls(paperId, n, viewer)}
</article>
${n.replies.length ? html`<ol class="comment-replies">${n.replies.map((r) => commentItem(paperId, r, viewer))}</ol>` : ''}
</li>`;
}

export interface CommentsSectionData {
  paperId: string;
  /** Visible comments (papers.num_comments). */
  count: number;
  thread: CommentNode[];
  viewer: HeaderViewer | null | undefined;
}

/** The <section id="comments"> of a paper page. */
export function commentsSection(d: CommentsSectionData): SafeHtml {
  const form = d.viewer
    ? html`<form method="post" action="${commentsPath(d.paperId)}" class="stack-form comment-form comment-new">
${csrfInput(d.viewer.csrf)}
<label for="comment-new">Add a comment</label>
<textarea id="comment-new" name="body" rows="4" required aria-describedby="comment-help"></textarea>
<button type="submit">Post comment</button>
</form>`
    : html`<p class="comment-signin"><a href="${signInToCommentHref(d.paperId)}">Sign in to comment</a></p>`;
  return html`<section id="comments" class="comments" aria-labelledby="comments-title">
<h2 id="comments-title">Comments <span class="muted comment-count">(${plural(d.count, 'comment')})</span></h2>
${d.thread.length ? html`<ol class="comment-thread">${d.thread.map((n) => commentItem(d.paperId, n, d.viewer))}</ol>` : html`<p class="muted">No comments yet.</p>`}
${form}
${d.viewer ? MARKDOWN_HELP : ''}
</section>`;
}

export interface CommentFormPageData {
  mode: 'new' | 'reply' | 'edit';
  paperId: string;
  paperTitle: string;
  csrf: string;
  /** The form's action. */
  action: string;
  body: string;
  parentId?: number | null;
  error?: string;
}

/** The comment form on a page of its own: editing, or a comment sent back with what is wrong. */
export function commentFormPage(d: CommentFormPageData): { title: string; body: SafeHtml } {
  const heading = d.mode === 'edit' ? 'Edit your comment' : d.mode === 'reply' ? 'Your reply' : 'Your comment';
  const paperHref = `${paperPath(d.paperId)}#comments`;
  return {
    title: heading,
    body: html`<div class="page-head">
<h1><span class="kicker">Comments</span> ${heading}</h1>
<p class="page-summary">On <a href="${paperHref}" dir="auto">${d.paperTitle}</a></p>
</div>
<section class="empty-state" aria-label="${heading}">
<form method="post" action="${d.action}" class="stack-form comment-form comment-page-form" novalidate>
${csrfInput(d.csrf)}
${d.parentId ? html`<input type="hidden" name="parent_id" value="${d.parentId}">` : ''}
<label for="comment-body">${d.mode === 'edit' ? 'Comment' : heading}</label>
<textarea id="comment-body" name="body" rows="10" required aria-describedby="${d.error ? 'comment-body-error comment-help' : 'comment-help'}"${d.error ? html` aria-invalid="true" autofocus` : ''}>${d.body}</textarea>
${d.error ? html`<p id="comment-body-error" class="form-error" role="alert"><strong>${d.error}</strong></p>` : ''}
${MARKDOWN_HELP}
<button type="submit">${d.mode === 'edit' ? 'Save changes' : 'Post'}</button>
</form>
<p><a href="${paperHref}">Back to the paper</a></p>
</section>`,
  };
}
