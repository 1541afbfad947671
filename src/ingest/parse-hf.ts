// Hugging Face papers API: /api/daily_papers (a JSON array of {paper: {...}, publishedAt, ...} items), a single
// /api/papers/{id} object (flat), or JSON lines of either. As in the official huggingface_hub client
// (PaperInfo): arXiv-level data sits in `paper`, daily-list data at the top level; newer items may put
// githubRepo, projectPage and organization in either place, so both are read.
import type { RecordInput } from '../papers/paper.ts';
import { DocumentError, type ParseItem, type Where } from './types.ts';
import { toParseItem } from './parse-jsonl.ts';

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Category given to papers whose source names none (Hugging Face does not carry arXiv categories).
 * It passes category validation; readers treat it as "category not known", not as an arXiv archive.
 */
export const UNKNOWN_CATEGORY = 'unknown';

const DAY = /^\d{4}-\d{2}-\d{2}/;

/** The UTC calendar day of an ISO timestamp ("2024-10-25T00:57:09.392Z" -> "2024-10-25"), else undefined. */
function dayOf(v: unknown): string | undefined {
  if (typeof v !== 'string') return undefined;
  const s = v.trim();
  if (s.length === 10 && DAY.test(s)) return s;
  const d = new Date(s);
  return Number.isNaN(d.getTime()) ? undefined : d.toISOString().slice(0, 10);
}

function orgName(v: unknown): unknown {
  if (typeof v === 'string') return v;
  if (isObject(v)) return v.fullname ?? v.name ?? undefined;
  return undefined;
}

/** One daily item or one flat paper object, as RecordInput. */
function hfInput(item: Json): RecordInput {
  const nested = isObject(item.paper) ? item.paper : null;
  const p = nested ?? item;
  const authors = Array.isArray(p.authors)
    ? p.authors.map((a) => (isObject(a) ? a.name : a)) // hidden authors are still authors of the paper
    : p.authors;
  // The listing day is the day the paper went onto the daily list: the item's own publishedAt in a daily
  // item; submittedOnDailyAt in newer and flat shapes. Without either, normalizeRecord derives the arXiv
  // listing day from the paper's publication time.
  const listedAt = nested ? item.publishedAt ?? nested.submittedOnDailyAt ?? item.submittedOnDailyAt : item.submittedOnDailyAt;
  const categories = Array.isArray(p.categories) && p.categories.length > 0 ? p.categories : [UNKNOWN_CATEGORY];
  return {
    id: p.id ?? item.id,
    title: p.title ?? item.title,
    abstract: p.summary ?? item.summary,
    authors,
    categories,
    publishedAt: p.publishedAt,
    firstListed: dayOf(listedAt),
    githubRepo: p.githubRepo ?? item.githubRepo,
    projectPage: p.projectPage ?? item.projectPage,
    organization: orgName(p.organization ?? item.organization),
    source: 'hf',
  };
}

/** Parses one daily item or paper object (for callers reading JSON lines themselves). */
export function parseHfItem(item: unknown, where: Where): ParseItem {
  if (!isObject(item)) {
    return { ok: false, where, field: '(json)', message: `expected a JSON object, got ${Array.isArray(item) ? 'an array' : item === null ? 'null' : typeof item}` };
  }
  return toParseItem(hfInput(item), where);
}

/**
 * Parses a /api/daily_papers array, a single /api/papers/{id} object, or JSON lines of items. Throws
 * DocumentError when the text is not JSON (or is cut off) or is an error envelope ({"error": "..."}).
 */
export function parseHfDailyPapers(text: string, file: string): ParseItem[] {
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  if (!body.trim()) throw new DocumentError({ file }, `${file}: empty document, expected Hugging Face papers JSON`);
  let doc: unknown;
  try {
    doc = JSON.parse(body);
  } catch (err) {
    const lines = tryJsonLines(body, file);
    if (lines) return lines;
    throw new DocumentError({ file }, `${file}: not valid JSON (truncated?): ${(err as Error).message}`);
  }
  if (Array.isArray(doc)) return doc.map((item, i) => parseHfItem(item, { file, record: i + 1 }));
  if (isObject(doc)) {
    if (!isObject(doc.paper) && doc.id === undefined && (typeof doc.error === 'string' || typeof doc.message === 'string')) {
      throw new DocumentError({ file }, `${file}: Hugging Face API error: ${String(doc.error ?? doc.message)}`);
    }
    return [parseHfItem(doc, { file, record: 1 })];
  }
  throw new DocumentError({ file }, `${file}: expected a JSON array or object of Hugging Face papers, got ${doc === null ? 'null' : typeof doc}`);
}

/** JSON lines of items (one object a line), or null when the text is not that either. */
function tryJsonLines(body: string, file: string): ParseItem[] | null {
  if (body.trimStart()[0] !== '{') return null;
  const lines = body.split('\n');
  const first = lines.findIndex((l) => l.trim() !== '');
  try {
    if (!isObject(JSON.parse(lines[first]))) return null;
  } catch {
    return null; // a pretty-printed object that is cut off: report the JSON error instead
  }
  const items: ParseItem[] = [];
  lines.forEach((line, i) => {
    if (!line.trim()) return;
    const where = { file, line: i + 1 };
    let obj: unknown;
    try {
      obj = JSON.parse(line);
    } catch (err) {
      items.push({ ok: false, where, field: '(json)', message: `not valid JSON: ${(err as Error).message}` });
      return;
    }
    items.push(parseHfItem(obj, where));
  });
  return items;
}
