// The paper domain: the record every importer and harvester produces, its validation, and the pure
// rule that decides what a new copy of a paper does to the stored one.
import { parseArxivId } from './arxiv-id.ts';
import { authorKey } from './authors.ts';

export interface PaperVersion {
  version: number;
  /** ISO 8601 timestamp (or date) of that version's submission. */
  date: string;
}

/** A paper as a source describes it, validated and normalised. */
export interface PaperRecord {
  id: string;
  /** Version this copy describes; null when the source does not say (our JSONL, Hugging Face). */
  version: number | null;
  title: string;
  abstract: string;
  authors: string[];
  categories: string[];
  comment: string | null;
  journalRef: string | null;
  doi: string | null;
  license: string | null;
  publishedAt: string | null;
  updatedAt: string | null;
  /** YYYY-MM-DD: the day the paper belongs to in the daily feed. */
  firstListed: string;
  versions: PaperVersion[];
  githubRepo: string | null;
  projectPage: string | null;
  organization: string | null;
  /** Short name of where this copy came from: jsonl, kaggle, arxiv-api, arxiv-oai, hf. */
  source: string;
}

/** A stored paper row, as repositories return it. */
export interface Paper extends PaperRecord {
  authorKeys: string[];
  primaryCategory: string;
  upvotes: number;
  numComments: number;
  trendingScore: number;
  createdAt: string;
  modifiedAt: string;
}

/** A record that failed validation: which field, and why. */
export class RecordError extends Error {
  constructor(readonly field: string, message: string) {
    super(message);
    this.name = 'RecordError';
  }
}

const MAX = { title: 2_000, abstract: 20_000, author: 500, authors: 5_000, comment: 5_000, meta: 2_000 };
const CATEGORY_RE = /^[a-z][a-z-]*(\.[A-Za-z][A-Za-z-]*)?$/;
const DATE_RE = /^\d{4}-\d{2}-\d{2}$/;

/** Collapses arXiv's hard line wraps and runs of whitespace into single spaces. */
// Control characters other than whitespace break XML feeds and terminals.
// eslint-disable-next-line no-control-regex
const CONTROL_RE = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F]/;
// eslint-disable-next-line no-control-regex
const CONTROL_RE_G = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F]/g;
// Runs of whitespace, or any single whitespace character that is not a plain space.
const SPACE_RUN_RE = /\s{2,}|[^\S ]/g;

export function cleanText(s: string): string {
  const stripped = CONTROL_RE.test(s) ? s.replace(CONTROL_RE_G, '') : s;
  return stripped.replace(SPACE_RUN_RE, ' ').trim();
}

/** A real calendar date in YYYY-MM-DD form (rejects 2025-02-30). */
export function isValidDate(s: string): boolean {
  if (!DATE_RE.test(s)) return false;
  const d = new Date(`${s}T00:00:00Z`);
  return !Number.isNaN(d.getTime()) && d.toISOString().slice(0, 10) === s;
}

function optionalText(field: string, v: unknown, max: number): string | null {
  if (v === null || v === undefined) return null;
  if (typeof v !== 'string') throw new RecordError(field, `must be a string, got ${typeof v}`);
  const s = cleanText(v);
  if (s.length > max) throw new RecordError(field, `is longer than ${max} characters`);
  return s || null;
}

function requiredText(field: string, v: unknown, max: number): string {
  const s = optionalText(field, v, max);
  if (!s) throw new RecordError(field, 'is missing or empty');
  return s;
}

function timestamp(field: string, v: unknown): string | null {
  if (v === null || v === undefined || v === '') return null;
  if (typeof v !== 'string') throw new RecordError(field, `must be a date string, got ${typeof v}`);
  const d = new Date(v.trim());
  if (Number.isNaN(d.getTime())) throw new RecordError(field, `"${v}" is not a date`);
  const year = d.getUTCFullYear();
  if (year < 1986 || year > 2200) throw new RecordError(field, `"${v}" is out of range`);
  return d.toISOString();
}

function url(field: string, v: unknown): string | null {
  const s = optionalText(field, v, MAX.meta);
  if (!s) return null;
  let u: URL;
  try {
    u = new URL(s);
  } catch {
    throw new RecordError(field, `"${s}" is not a URL`);
  }
  if (u.protocol !== 'https:' && u.protocol !== 'http:') throw new RecordError(field, `"${s}" is not an http(s) URL`);
  return u.toString();
}

/** The input a parser hands over: loosely typed, validated by normalizeRecord. */
export interface RecordInput {
  id: unknown;
  version?: unknown;
  title: unknown;
  abstract: unknown;
  authors: unknown;
  categories: unknown;
  comment?: unknown;
  journalRef?: unknown;
  doi?: unknown;
  license?: unknown;
  publishedAt?: unknown;
  updatedAt?: unknown;
  firstListed?: unknown;
  versions?: unknown;
  githubRepo?: unknown;
  projectPage?: unknown;
  organization?: unknown;
  source: string;
}

/**
 * Validates and normalises a parsed record. Throws RecordError naming the first bad field.
 * `firstListed` defaults to the arXiv announcement day of the first version (listing.ts).
 */
export function normalizeRecord(input: RecordInput, listingDay: (submitted: string) => string): PaperRecord {
  if (typeof input.id !== 'string') throw new RecordError('id', 'is missing');
  const parsed = parseArxivId(input.id);
  if (!parsed) throw new RecordError('id', `"${input.id.slice(0, 80)}" is not an arXiv id`);
  let version = parsed.version;
  if (input.version !== undefined && input.version !== null) {
    const v = typeof input.version === 'string' ? Number(input.version.replace(/^v/i, '')) : input.version;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 1 || v > 1000) {
      throw new RecordError('version', `"${String(input.version)}" is not a version number`);
    }
    version = v;
  }
  const title = requiredText('title', input.title, MAX.title);
  const abstract = requiredText('abstract', input.abstract, MAX.abstract);

  if (!Array.isArray(input.authors)) throw new RecordError('authors', 'must be a list of names');
  if (input.authors.length > MAX.authors) throw new RecordError('authors', `has more than ${MAX.authors} names`);
  const authors = input.authors.map((a, i) => requiredText(`authors[${i}]`, a, MAX.author));
  if (authors.length === 0) throw new RecordError('authors', 'is empty');

  if (!Array.isArray(input.categories)) throw new RecordError('categories', 'must be a list');
  const categories: string[] = [];
  for (const [i, c] of input.categories.entries()) {
    if (typeof c !== 'string') throw new RecordError(`categories[${i}]`, 'must be a string');
    const cat = c.trim();
    // Our JSONL carries MSC/ACM classes after the arXiv categories ("68T45 (Computer Vision)"): skip them.
    if (!CATEGORY_RE.test(cat)) {
      if (i === 0) throw new RecordError('categories[0]', `"${cat.slice(0, 60)}" is not an arXiv category`);
      continue;
    }
    if (!categories.includes(cat)) categories.push(cat);
  }
  if (categories.length === 0) throw new RecordError('categories', 'is empty');

  const publishedAt = timestamp('publishedAt', input.publishedAt);
  const updatedAt = timestamp('updatedAt', input.updatedAt);

  let versions: PaperVersion[] = [];
  if (input.versions !== undefined && input.versions !== null) {
    if (!Array.isArray(input.versions)) throw new RecordError('versions', 'must be a list');
    versions = input.versions.map((v, i) => {
      const item = v as { version?: unknown; date?: unknown };
      const n = Number(String(item?.version ?? '').replace(/^v/i, ''));
      if (!Number.isInteger(n) || n < 1) throw new RecordError(`versions[${i}].version`, 'is not a version number');
      const date = timestamp(`versions[${i}].date`, item.date);
      if (!date) throw new RecordError(`versions[${i}].date`, 'is missing');
      return { version: n, date };
    });
    versions.sort((a, b) => a.version - b.version);
  }
  if (version === null && versions.length) version = versions[versions.length - 1].version;

  let firstListed: string;
  if (input.firstListed !== undefined && input.firstListed !== null) {
    if (typeof input.firstListed !== 'string' || !isValidDate(input.firstListed.trim().slice(0, 10))) {
      throw new RecordError('first_listed', `"${String(input.firstListed).slice(0, 40)}" is not a YYYY-MM-DD date`);
    }
    firstListed = input.firstListed.trim().slice(0, 10);
  } else {
    const v1 = versions[0]?.date ?? publishedAt;
    if (!v1) throw new RecordError('first_listed', 'is missing and no submission date is known');
    firstListed = listingDay(v1);
  }

  return {
    id: parsed.id,
    version,
    title,
    abstract,
    authors,
    categories,
    comment: optionalText('comment', input.comment, MAX.comment),
    journalRef: optionalText('journalRef', input.journalRef, MAX.meta),
    doi: optionalText('doi', input.doi, MAX.meta),
    license: optionalText('license', input.license, MAX.meta),
    publishedAt: publishedAt ?? versions[0]?.date ?? null,
    updatedAt: updatedAt ?? versions[versions.length - 1]?.date ?? publishedAt ?? null,
    firstListed,
    versions,
    githubRepo: url('githubRepo', input.githubRepo),
    projectPage: url('projectPage', input.projectPage),
    organization: optionalText('organization', input.organization, MAX.meta),
    source: input.source,
  };
}

export type MergeAction = 'insert' | 'update' | 'unchanged';

/** The stored facts merge needs about an existing paper. */
export interface StoredPaper {
  id: string;
  version: number | null;
  title: string;
  abstract: string;
  authors: string[];
  categories: string[];
  comment: string | null;
  journalRef: string | null;
  doi: string | null;
  license: string | null;
  publishedAt: string | null;
  updatedAt: string | null;
  firstListed: string;
  versions: PaperVersion[];
  githubRepo: string | null;
  projectPage: string | null;
  organization: string | null;
  source: string;
}

function mergeVersions(a: PaperVersion[], b: PaperVersion[]): PaperVersion[] {
  const byNumber = new Map<number, PaperVersion>();
  for (const v of [...a, ...b]) if (!byNumber.has(v.version)) byNumber.set(v.version, v);
  return [...byNumber.values()].sort((x, y) => x.version - y.version);
}

const sameJson = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

/**
 * What an incoming copy does to the stored paper:
 * - no stored paper: insert it;
 * - a newer version: it replaces the content (title, abstract, authors, ...); the version history is merged
 *   and the listing day is kept (a paper stays on the day it was first listed);
 * - the same version, or a source that does not say which version: it only fills fields the stored copy
 *   lacks (a DOI, a journal ref, a code link) and adds versions the history lacks;
 * - an older version: nothing changes.
 * Returns the row to write, or 'unchanged' when writing would change nothing.
 */
export function mergePaper(
  stored: StoredPaper | null,
  incoming: PaperRecord,
): { action: MergeAction; row: PaperRecord } {
  if (!stored) return { action: 'insert', row: incoming };
  const storedV = stored.version ?? 0;
  const incomingV = incoming.version;
  let row: PaperRecord;
  if (incomingV !== null && incomingV > storedV) {
    row = {
      ...incoming,
      firstListed: stored.firstListed,
      publishedAt: stored.publishedAt ?? incoming.publishedAt,
      versions: mergeVersions(stored.versions, incoming.versions),
      journalRef: incoming.journalRef ?? stored.journalRef,
      doi: incoming.doi ?? stored.doi,
      license: incoming.license ?? stored.license,
      githubRepo: incoming.githubRepo ?? stored.githubRepo,
      projectPage: incoming.projectPage ?? stored.projectPage,
      organization: incoming.organization ?? stored.organization,
    };
  } else if (incomingV === null || incomingV === storedV) {
    row = {
      ...stored,
      version: stored.version ?? incomingV,
      comment: stored.comment ?? incoming.comment,
      journalRef: stored.journalRef ?? incoming.journalRef,
      doi: stored.doi ?? incoming.doi,
      license: stored.license ?? incoming.license,
      publishedAt: stored.publishedAt ?? incoming.publishedAt,
      updatedAt: stored.updatedAt ?? incoming.updatedAt,
      versions: mergeVersions(stored.versions, incoming.versions),
      githubRepo: stored.githubRepo ?? incoming.githubRepo,
      projectPage: stored.projectPage ?? incoming.projectPage,
      organization: stored.organization ?? incoming.organization,
    };
  } else {
    return { action: 'unchanged', row: stored };
  }
  const changed = (Object.keys(row) as (keyof PaperRecord)[]).some((k) => !sameJson(row[k], stored[k]));
  return changed ? { action: 'update', row } : { action: 'unchanged', row: stored };
}

export function authorKeysOf(authors: string[]): string[] {
  return [...new Set(authors.map(authorKey).filter(Boolean))];
}
