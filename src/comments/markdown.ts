// Comment bodies: what a comment may contain, and its HTML. Pure.
//
// A comment is Markdown (CommonMark plus tables, strikethrough and bare URLs made links), rendered by
// markdown-it with raw HTML turned off (a "<script>" typed in a comment is shown as text), then passed
// through sanitize-html with a short allow-list, so that the stored HTML is safe even if the renderer
// had a bug. Both layers check links with the WHATWG URL parser, as a browser reads them: only http:,
// https: and mailto: links (and relative ones) survive, whatever entities, tabs, newlines or letter
// cases hide a javascript: or data: URL. Images are not shown: ![alt](url) becomes a link to the image.
// Links get rel="nofollow ugc noopener" and never a target. Headings are demoted (h1 to h4, h2 to h5,
// the rest h6) so a comment cannot pose as the page's own structure.
//
// Both libraries are loaded on the first rendering, not when this module is imported: every command of
// the CLI imports the web app, and only `serve` ever renders a comment.
import { createRequire } from 'node:module';
import type MarkdownIt from 'markdown-it';
import type sanitizeHtml from 'sanitize-html';

const require = createRequire(import.meta.url);

/** Longest comment, in characters (Unicode code points, as PostgreSQL's length() counts them). */
export const MAX_COMMENT_CHARS = 10_000;

/** The rel of every link in a comment. */
export const COMMENT_LINK_REL = 'nofollow ugc noopener';

const SAFE_PROTOCOLS = new Set(['http:', 'https:', 'mailto:']);

/**
 * Whether a link target is one a comment may carry: http(s), mailto, or relative to the page. Parsed
 * the way a browser parses an href (the WHATWG URL parser strips tabs and newlines and ignores the
 * scheme's case), so "JaVa\tScRiPt:" is seen as the javascript: URL it is.
 */
export function isSafeHref(href: string): boolean {
  try {
    return SAFE_PROTOCOLS.has(new URL(href, 'https://comment.invalid/').protocol);
  } catch {
    return false;
  }
}

function createRenderer(): (body: string) => string {
  const Markdown = require('markdown-it') as typeof MarkdownIt;
  const sanitize = require('sanitize-html') as typeof sanitizeHtml;
  const md = new Markdown('default', {
    html: false, // raw HTML in the source is escaped, never passed through
    linkify: true,
    typographer: false,
    breaks: true, // a new line in a comment is a new line, as people expect in a comment box
    maxNesting: 20,
  });
  md.validateLink = isSafeHref;

  // Images become links to the image (no remote images on our pages: no tracking pixels, no layout games).
  md.renderer.rules.image = (tokens, idx, options, env, self) => {
    const token = tokens[idx];
    const src = String(token.attrGet('src') ?? '');
    const alt = self.renderInlineAsText(token.children ?? [], options, env).trim();
    const text = md.utils.escapeHtml(alt ? `image: ${alt}` : 'image');
    return src && isSafeHref(src) ? `<a href="${md.utils.escapeHtml(src)}">${text}</a>` : text;
  };

  const demote = (to: string) => sanitize.simpleTransform(to, {});
  const options: sanitizeHtml.IOptions = {
    allowedTags: [
      'p', 'br', 'hr', 'strong', 'em', 's', 'del', 'code', 'pre', 'blockquote', 'ul', 'ol', 'li', 'a',
      'h4', 'h5', 'h6', 'table', 'thead', 'tbody', 'tr', 'th', 'td',
    ],
    allowedAttributes: { a: ['href', 'rel'], ol: ['start'], code: ['class'] },
    allowedClasses: { code: [/^language-[A-Za-z0-9_+-]{1,40}$/] },
    allowedSchemes: ['http', 'https', 'mailto'],
    allowedSchemesByTag: {},
    allowedSchemesAppliedToAttributes: ['href'],
    allowProtocolRelative: true,
    disallowedTagsMode: 'discard',
    nestingLimit: 30,
    transformTags: {
      h1: demote('h4'),
      h2: demote('h5'),
      h3: demote('h6'),
      h4: demote('h6'),
      h5: demote('h6'),
      a: (_tag, attribs) => {
        // attribs are decoded here (entities resolved), so the check sees what the browser will.
        const href = attribs.href && isSafeHref(attribs.href) ? attribs.href : null;
        const out: sanitizeHtml.Attributes = href ? { href, rel: COMMENT_LINK_REL } : {};
        return { tagName: 'a', attribs: out };
      },
    },
    // A link that lost its target is just its text.
    exclusiveFilter: (frame) => (frame.tag === 'a' && !frame.attribs.href ? 'excludeTag' : false),
  };
  return (body) => sanitize(md.render(body), options).trim();
}

let renderer: ((body: string) => string) | null = null;

/** The safe HTML of a comment's Markdown. The body should have passed checkCommentBody. */
export function renderCommentHtml(body: string): string {
  renderer ??= createRenderer();
  return renderer(body);
}

export type BodyCheck = { ok: true; body: string } | { ok: false; error: string };

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
// C0 controls but tab and line feed (carriage returns are normalised away first), DEL and C1 controls.
const CONTROL = /[\u0000-\u0008\u000B-\u001F\u007F-\u009F]/;
const VISIBLE = /[^\s\u200B-\u200D\u2060\uFEFF]/u;

/**
 * The comment as it is stored (line ends normalised, outer blank space trimmed), or what is wrong with
 * it, in words for the person who wrote it.
 */
export function checkCommentBody(input: unknown): BodyCheck {
  if (typeof input !== 'string') return { ok: false, error: 'Write your comment in the box first: it is empty.' };
  if (LONE_SURROGATE.test(input) || input.includes('\uFFFD')) {
    return {
      ok: false,
      error: 'The comment contains broken characters (text that was not valid UTF-8 on its way here). Type it again, or paste it as plain text.',
    };
  }
  const body = input.replace(/\r\n?/g, '\n').trim();
  if (CONTROL.test(body)) {
    return {
      ok: false,
      error: 'The comment contains control characters (invisible codes such as NUL or escape) that a comment cannot hold. Remove them, or paste the text as plain text.',
    };
  }
  if (!VISIBLE.test(body)) return { ok: false, error: 'Write your comment in the box first: it is empty.' };
  const chars = [...body].length;
  if (chars > MAX_COMMENT_CHARS) {
    return {
      ok: false,
      error: `The comment is too long: ${chars.toLocaleString('en-US')} characters, at most ${MAX_COMMENT_CHARS.toLocaleString('en-US')}. Shorten it, or split it into a comment and a reply.`,
    };
  }
  return { ok: true, body };
}

/** A moderator's reason for hiding a comment: 1 to 500 characters of one-line text. */
export function checkHideReason(input: unknown): BodyCheck {
  const text = typeof input === 'string' ? input.replace(/\s+/g, ' ').trim() : '';
  if (!text) return { ok: false, error: 'Give a reason: it is shown in place of the comment.' };
  if (LONE_SURROGATE.test(text) || text.includes('\uFFFD') || CONTROL.test(text)) {
    return { ok: false, error: 'The reason contains broken or control characters. Type it again.' };
  }
  if ([...text].length > 500) return { ok: false, error: 'The reason is too long: at most 500 characters.' };
  return { ok: true, body: text };
}
