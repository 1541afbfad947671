// RSS 2.0 and Atom 1.0 documents for a list of papers. Pure: a list in, XML text out.
//
// Written by hand rather than with a feed library: the one we tried marks Atom titles type="html" while
// passing the title through unescaped (a title "<script>..." would be markup to a reader) and names RSS
// authors in <author>, which RSS reserves for e-mail addresses. Here every text is escaped for XML, titles
// are plain text (RSS <title>, Atom type="text"), the RSS description is HTML escaped once as HTML and
// once as XML, and characters XML 1.0 forbids are dropped. Bidi controls are dropped from every text
// too: a feed reader shows titles where no markup can isolate them (the site does the same in <title>).
import { absUrl, pdfUrl } from '../../papers/arxiv-id.ts';
import type { Paper } from '../../papers/paper.ts';
import { listedAt } from '../../api/hf-shape.ts';
import { paperPagePath } from '../../api/paths.ts';
import { html } from '../web/html.ts';

export interface FeedMeta {
  /** Feed title (the site name is added in front). */
  title: string;
  description: string;
  /** Absolute URL of this feed (the RSS or the Atom one). */
  selfUrl: string;
  /** Absolute URL of the HTML page showing the same list, or of the site when there is none. */
  htmlUrl: string;
  /** Site's public URL, for item links. */
  base: string;
  /** The feed's date when it has no item (ISO 8601). */
  emptyUpdated: string;
  /** Item dates by paper id (ISO 8601), where an item's date is not its listing (a member's upvotes: when upvoted). */
  itemDates?: ReadonlyMap<string, string>;
}

const SITE = 'paperpulse';

// XML 1.0 allows tab, LF, CR and U+0020..U+D7FF, U+E000..U+FFFD, U+10000..U+10FFFF (no lone surrogates).
const NOT_XML = /[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu;
const BIDI_CONTROLS = /[\u202A-\u202E\u2066-\u2069\u200E\u200F]/g;
const XML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' };

/** Text as feeds carry it: XML-invalid characters and bidi controls dropped. */
export function feedText(text: string): string {
  return text.replace(NOT_XML, '').replace(BIDI_CONTROLS, '');
}

/** Escapes text for XML element content and quoted attributes (after feedText). */
export function xml(text: string): string {
  return feedText(text).replace(/[&<>"']/g, (c) => XML_ESCAPES[c]);
}

/** RFC 822 date of RSS, e.g. "Wed, 02 Jul 2025 00:00:00 GMT". */
export const rfc822 = (iso: string) => new Date(iso).toUTCString();
/** RFC 3339 date of Atom, e.g. "2025-07-02T00:00:00Z". */
export const rfc3339 = (iso: string) => new Date(iso).toISOString().replace('.000Z', 'Z');

/** The date of an item: when the paper went onto its day's list, unless the feed says otherwise. */
const itemDate = (p: Paper, meta: FeedMeta) => meta.itemDates?.get(p.id) ?? listedAt(p.firstListed);

/** The feed's date: its newest item's date, so that the same list always renders the same bytes. */
function feedUpdated(papers: Paper[], meta: FeedMeta): string {
  let newest = '';
  for (const p of papers) if (itemDate(p, meta) > newest) newest = itemDate(p, meta);
  return newest || meta.emptyUpdated;
}

/** The RSS description of a paper: HTML (authors, abstract, links), which the XML escaping then wraps. */
function descriptionHtml(p: Paper): string {
  return html`<p>${feedText(p.authors.join(', '))}</p>
<p>${feedText(p.abstract)}</p>
<p><a href="${absUrl(p.id)}">arXiv:${p.id}</a> · <a href="${pdfUrl(p.id)}">PDF</a> · ${p.categories.join(', ')}</p>`.value;
}

export function renderRss(papers: Paper[], meta: FeedMeta): string {
  const items = papers.map((p) => {
    const link = meta.base + paperPagePath(p.id);
    return `    <item>
      <title>${xml(p.title)}</title>
      <link>${xml(link)}</link>
      <guid isPermaLink="true">${xml(link)}</guid>
      <pubDate>${rfc822(itemDate(p, meta))}</pubDate>
      <dc:creator>${xml(p.authors.join(', '))}</dc:creator>
${p.categories.map((c) => `      <category>${xml(c)}</category>\n`).join('')}      <description>${xml(descriptionHtml(p))}</description>
    </item>
`;
  });
  return `<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0" xmlns:atom="http://www.w3.org/2005/Atom" xmlns:dc="http://purl.org/dc/elements/1.1/">
  <channel>
    <title>${xml(`${SITE}: ${meta.title}`)}</title>
    <link>${xml(meta.htmlUrl)}</link>
    <description>${xml(meta.description)}</description>
    <language>en</language>
    <lastBuildDate>${rfc822(feedUpdated(papers, meta))}</lastBuildDate>
    <docs>https://www.rssboard.org/rss-specification</docs>
    <generator>${SITE}</generator>
    <atom:link href="${xml(meta.selfUrl)}" rel="self" type="application/rss+xml"/>
${items.join('')}  </channel>
</rss>
`;
}

export function renderAtom(papers: Paper[], meta: FeedMeta): string {
  const entries = papers.map((p) => {
    const link = meta.base + paperPagePath(p.id);
    const date = rfc3339(itemDate(p, meta));
    return `  <entry>
    <id>${xml(link)}</id>
    <title type="text">${xml(p.title)}</title>
    <link rel="alternate" type="text/html" href="${xml(link)}"/>
    <link rel="related" type="text/html" title="arXiv" href="${xml(absUrl(p.id))}"/>
    <published>${date}</published>
    <updated>${date}</updated>
${p.authors.map((a) => `    <author><name>${xml(a)}</name></author>\n`).join('')}${p.categories.map((c) => `    <category term="${xml(c)}"/>\n`).join('')}    <summary type="text">${xml(p.abstract)}</summary>
  </entry>
`;
  });
  return `<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom" xml:lang="en">
  <id>${xml(meta.selfUrl)}</id>
  <title type="text">${xml(`${SITE}: ${meta.title}`)}</title>
  <subtitle type="text">${xml(meta.description)}</subtitle>
  <updated>${rfc3339(feedUpdated(papers, meta))}</updated>
  <link rel="self" type="application/atom+xml" href="${xml(meta.selfUrl)}"/>
  <link rel="alternate" type="text/html" href="${xml(meta.htmlUrl)}"/>
  <author><name>${SITE}</name><uri>${xml(meta.base)}/</uri></author>
  <generator>${SITE}</generator>
${entries.join('')}</feed>
`;
}
