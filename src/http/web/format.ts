// Text for the pages: dates, period labels, excerpts, counts and the BibTeX entry. Pure.
import { absUrl } from '../../papers/arxiv-id.ts';
import { authorKey } from '../../papers/authors.ts';
import type { Paper } from '../../papers/paper.ts';
import { isoWeek, type Period } from '../../feed/periods.ts';

// Listing days are calendar dates: format them in UTC so the server's zone never shifts a day.
const SHORT = new Intl.DateTimeFormat('en-US', { timeZone: 'UTC', month: 'short', day: 'numeric', year: 'numeric' });
const SHORT_NO_YEAR = new Intl.DateTimeFormat('en-US', { timeZone: 'UTC', month: 'short', day: 'numeric' });
const LONG = new Intl.DateTimeFormat('en-US', {
  timeZone: 'UTC', weekday: 'long', month: 'long', day: 'numeric', year: 'numeric',
});
const MONTH = new Intl.DateTimeFormat('en-US', { timeZone: 'UTC', month: 'long', year: 'numeric' });

const asDate = (day: string) => new Date(`${day.slice(0, 10)}T00:00:00Z`);

/** "Jul 2, 2025" from YYYY-MM-DD or an ISO timestamp (its UTC day). */
export function shortDate(day: string): string {
  return SHORT.format(asDate(day));
}

/** "Wednesday, July 2, 2025" */
export function longDate(day: string): string {
  return LONG.format(asDate(day));
}

/** "Jun 30 – Jul 6, 2025" */
export function dayRange(start: string, end: string): string {
  const sameYear = start.slice(0, 4) === end.slice(0, 4);
  return `${sameYear ? SHORT_NO_YEAR.format(asDate(start)) : shortDate(start)} – ${shortDate(end)}`;
}

/** A period as a heading names it. */
export function periodLabel(period: Period): string {
  if (period.kind === 'day') return longDate(period.start);
  if (period.kind === 'month') return MONTH.format(asDate(period.start));
  const { year, week } = isoWeek(period.start);
  return `Week ${week}, ${year} (${dayRange(period.start, period.end)})`;
}

/** A period as a short link text names it: "Jul 2, 2025", "Week 27, 2025", "July 2025". */
export function periodShortLabel(period: Period): string {
  if (period.kind === 'day') return shortDate(period.start);
  if (period.kind === 'month') return MONTH.format(asDate(period.start));
  const { year, week } = isoWeek(period.start);
  return `Week ${week}, ${year}`;
}

export function plural(n: number, one: string, many = `${one}s`): string {
  return `${n.toLocaleString('en-US')} ${n === 1 ? one : many}`;
}

/** About `max` characters of text, cut at a word boundary, with an ellipsis when something was cut. */
export function excerpt(text: string, max = 300): string {
  const t = text.trim();
  if (t.length <= max) return t;
  let cut = t.slice(0, max + 1);
  const space = cut.lastIndexOf(' ');
  // A very long "word" (a URL, a formula) is cut where it is rather than losing most of the excerpt.
  cut = space > max * 0.6 ? cut.slice(0, space) : t.slice(0, max);
  return `${cut.replace(/[\s,;:.\-–—(]+$/u, '')}…`;
}

/** Drops bidi controls, for text that no markup can isolate: the tab title, meta tags, BibTeX. */
export function plainTitleText(text: string): string {
  return text.replace(/[\u202A-\u202E\u2066-\u2069\u200E\u200F]/g, '');
}

const TITLE_STOPWORDS = new Set(['a', 'an', 'the', 'on', 'of', 'for', 'to', 'in', 'and', 'with', 'towards', 'toward']);

/** Braces must balance in a BibTeX value; when they do not, they are dropped. Bidi controls go too. */
function bibValue(value: string): string {
  const text = plainTitleText(value);
  let depth = 0;
  for (const c of text) {
    if (c === '{') depth++;
    else if (c === '}' && --depth < 0) break;
  }
  return depth === 0 ? text : text.replace(/[{}]/g, '');
}

/** A BibTeX @misc entry in the form arXiv's own export uses. */
export function bibtex(paper: Paper): string {
  const year = (paper.publishedAt ?? paper.firstListed).slice(0, 4);
  const firstAuthor = paper.authors[0] ?? '';
  const lastName = authorKey(firstAuthor).split(' ').pop() ?? '';
  const word = authorKey(paper.title)
    .split(' ')
    .find((w) => w.length > 2 && !TITLE_STOPWORDS.has(w)) ?? '';
  const key = `${lastName}${year}${word}`.replace(/[^a-z0-9]/g, '') || paper.id.replace(/[^a-z0-9]/gi, '');
  const fields: [string, string][] = [
    ['title', bibValue(paper.title)],
    ['author', bibValue(paper.authors.join(' and '))],
    ['year', year],
    ['eprint', paper.id],
    ['archivePrefix', 'arXiv'],
    ['primaryClass', paper.primaryCategory],
  ];
  if (paper.doi) fields.push(['doi', bibValue(paper.doi)]);
  if (paper.journalRef) fields.push(['journal', bibValue(paper.journalRef)]);
  fields.push(['url', absUrl(paper.id)]);
  const width = Math.max(...fields.map(([k]) => k.length));
  return `@misc{${key},\n${fields.map(([k, v]) => `  ${k.padEnd(width)} = {${v}},`).join('\n')}\n}`;
}
