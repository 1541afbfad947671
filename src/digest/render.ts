// One digest as an email: subject, plain text and HTML (multipart/alternative), and the list headers.
// Pure. Every link is absolute (PUBLIC_URL); the preference and unsubscribe links are signed.
//
// Headers: List-Unsubscribe names the one-click URL and List-Unsubscribe-Post says a POST to it is
// enough (RFC 8058): mail clients show an "Unsubscribe" button that works without opening a page.
// (Providers honour it when the message is DKIM-signed with these headers covered: configure DKIM on
// the SMTP relay.)
import { absUrl, pdfUrl } from '../papers/arxiv-id.ts';
import { shortName } from '../papers/authors.ts';
import { EmailHtml, mailHtml } from '../mail/email-html.ts';
import { headerText } from '../mail/headers.ts';
import { emailDocument, EMAIL_COLORS } from '../mail/layout.ts';
import type { DigestCandidate } from './compose.ts';
import type { DigestPeriod } from './period.ts';

/** What an entry shows of a paper. */
export type RenderPaper = Pick<DigestCandidate, 'id' | 'title' | 'authors' | 'abstract' | 'upvotes'>;

export interface RenderInput {
  papers: readonly RenderPaper[];
  period: DigestPeriod;
  publicUrl: string;
  /** Signed links of this subscriber. */
  links: { manage: string; unsubscribe: string };
  /** Domain for the List-Id header. */
  listDomain: string;
}

export interface RenderedDigest {
  subject: string;
  text: string;
  html: string;
  headers: Record<string, string>;
}

/** Characters of the abstract shown: about two lines of the email column. */
export const EXCERPT_CHARS = 220;
const SUBJECT_TITLE_CHARS = 90;

/** About `max` characters, cut at a word boundary, with an ellipsis when something was cut. */
export function excerpt(text: string, max = EXCERPT_CHARS): string {
  const t = text.replace(/\s+/g, ' ').trim();
  if (t.length <= max) return t;
  let cut = t.slice(0, max + 1);
  const space = cut.lastIndexOf(' ');
  cut = space > max * 0.6 ? cut.slice(0, space) : t.slice(0, max);
  return `${cut.replace(/[\s,;:.\-–—(]+$/u, '')}…`;
}

/** "A. Lovelace, A. Turing, J. Müller et al." */
export function shortAuthors(authors: readonly string[], shown = 3): string {
  const names = authors.slice(0, shown).map(shortName).join(', ');
  return authors.length > shown ? `${names} et al.` : names;
}

/** "Trending papers, Tue 16 Jun: <top title> and 9 more" (header-safe: one line, bounded). */
export function digestSubject(period: DigestPeriod, papers: readonly Pick<DigestCandidate, 'title'>[]): string {
  const top = headerText(papers[0]?.title ?? '', SUBJECT_TITLE_CHARS);
  const more = papers.length > 1 ? ` and ${papers.length - 1} more` : '';
  return headerText(`Trending papers, ${period.label}: ${top}${more}`, 250);
}

const upvoteText = (n: number) => `${n} upvote${n === 1 ? '' : 's'}`;
const paperUrl = (publicUrl: string, id: string) => `${publicUrl}/papers/${id}`;

/** A paper's entry without its number: the plain-text lines and the HTML after the number. */
interface PaperBlock {
  publicUrl: string;
  text: string;
  html: string;
}

/**
 * Rendered entries of papers, reused by the digests of one run (most subscribers share most papers, so
 * each entry is rendered once instead of once per subscriber). Keyed by the paper object itself: hand
 * the same, unchanged objects to every renderDigest call. Only a cache: output is the same without it.
 */
export class DigestRenderCache {
  private readonly blocks = new WeakMap<RenderPaper, PaperBlock>();

  block(p: RenderPaper, publicUrl: string): PaperBlock {
    let b = this.blocks.get(p);
    if (!b || b.publicUrl !== publicUrl) this.blocks.set(p, (b = paperBlock(p, publicUrl)));
    return b;
  }
}

// The HTML of an entry up to its number (the same for every paper).
const c = EMAIL_COLORS;
const BLOCK_HEAD = mailHtml`<tr><td style="padding:16px 0;border-top:1px solid ${c.border};">
<h2 class="pp-text" style="margin:0 0 4px;font-size:17px;line-height:1.35;font-weight:600;color:${c.text};"><span class="pp-muted" style="color:${c.muted};font-weight:400;">`.value;

function paperBlock(p: RenderPaper, publicUrl: string): PaperBlock {
  const url = paperUrl(publicUrl, p.id);
  const authors = shortAuthors(p.authors);
  const summary = excerpt(p.abstract);
  const text =
    `${p.title.replace(/\s+/g, ' ').trim()}\n` +
    `   ${authors} · ${upvoteText(p.upvotes)}\n` +
    `   ${summary}\n` +
    `   Read: ${url}\n` +
    `   arXiv: ${absUrl(p.id)}\n\n`;
  const html = mailHtml`.</span> <a href="${url}" dir="auto" style="color:${c.text};text-decoration:none;">${p.title}</a></h2>
<p class="pp-muted" style="margin:0 0 6px;font-size:13px;color:${c.muted};"><span dir="auto">${authors}</span> · <strong>▲ ${upvoteText(p.upvotes)}</strong></p>
<p class="pp-text" dir="auto" style="margin:0 0 8px;font-size:15px;color:${c.text};">${summary}</p>
<p style="margin:0;font-size:14px;"><a href="${url}" style="color:${c.link};">Read on paperpulse</a> <span class="pp-muted" style="color:${c.muted};">·</span> <a href="${absUrl(p.id)}" style="color:${c.link};">arXiv</a> <span class="pp-muted" style="color:${c.muted};">·</span> <a href="${pdfUrl(p.id)}" style="color:${c.link};">PDF</a></p>
</td></tr>`.value;
  return { publicUrl, text, html };
}

function textPart(input: BodyInput, subject: string, blocks: readonly PaperBlock[]): string {
  let out = `${subject}\n${'='.repeat(Math.min(72, subject.length))}\n\n`;
  for (let i = 0; i < blocks.length; i++) out += `${i + 1}. ${blocks[i].text}`;
  const how = input.period.frequency === 'daily' ? 'daily' : 'weekly';
  return (
    out +
    `--\nYou receive this ${how} digest because you subscribed at ${input.publicUrl}.\n` +
    `Change frequency, topics or number of papers, or pause: ${input.links.manage}\n` +
    `Unsubscribe: ${input.links.unsubscribe}\n`
  );
}

/** The list headers of a digest (they only depend on the subscriber's unsubscribe link). */
export function digestHeaders(frequency: DigestPeriod['frequency'], unsubscribe: string, listDomain: string): Record<string, string> {
  const how = frequency === 'daily' ? 'daily' : 'weekly';
  return {
    'List-Unsubscribe': `<${unsubscribe}>`,
    'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click',
    'List-Id': `paperpulse ${how} digest <${how}-digest.${listDomain}>`,
    // Ask auto-responders (vacation replies) to stay quiet.
    'Auto-Submitted': 'auto-generated',
    'X-Auto-Response-Suppress': 'OOF, AutoReply',
  };
}

/** What the text and HTML of a digest are made from: the subject heads both. */
export interface BodyInput extends Omit<RenderInput, 'listDomain'> {
  subject: string;
}

/** The text and HTML parts of a digest (the sender makes them from the stored outbox row at send time). */
export function renderDigestBody(input: BodyInput, cache: DigestRenderCache = new DigestRenderCache()): { text: string; html: string } {
  if (input.papers.length === 0) throw new Error('an empty digest is never sent');
  const { subject } = input;
  const blocks = input.papers.map((p) => cache.block(p, input.publicUrl));
  let entries = '';
  for (let i = 0; i < blocks.length; i++) entries += `${BLOCK_HEAD}${i + 1}${blocks[i].html}`;
  const how = input.period.frequency === 'daily' ? 'daily' : 'weekly';
  const heading = `Trending papers, ${input.period.label}`;
  const html = emailDocument({
    title: subject,
    preheader: input.papers.slice(0, 3).map((p) => headerText(p.title, 80)).join(' · '),
    body: mailHtml`<h1 class="pp-text" style="margin:0 0 4px;font-size:22px;line-height:1.3;color:${c.text};">${heading}</h1>
<p class="pp-muted" style="margin:0 0 8px;color:${c.muted};font-size:14px;">The ${input.papers.length === 1 ? 'paper' : `${input.papers.length} papers`} with the highest trending score on <a href="${input.publicUrl}/papers" style="color:${c.link};">paperpulse</a>.</p>
<table role="presentation" width="100%" cellspacing="0" cellpadding="0" border="0">
${new EmailHtml(entries)}
</table>`,
    footer: mailHtml`<p style="margin:0 0 6px;">You receive this ${how} digest because you subscribed at <a href="${input.publicUrl}" style="color:${c.link};">${input.publicUrl}</a>.</p>
<p style="margin:0;"><a href="${input.links.manage}" style="color:${c.link};">Change preferences or pause</a> · <a href="${input.links.unsubscribe}" style="color:${c.link};">Unsubscribe</a></p>`,
  });
  return { text: textPart(input, subject, blocks), html };
}

export function renderDigest(input: RenderInput, cache?: DigestRenderCache): RenderedDigest {
  if (input.papers.length === 0) throw new Error('an empty digest is never sent');
  const subject = digestSubject(input.period, input.papers);
  const { text, html } = renderDigestBody({ ...input, subject }, cache);
  return { subject, text, html, headers: digestHeaders(input.period.frequency, input.links.unsubscribe, input.listDomain) };
}
