// arXiv query API responses (Atom 1.0 with arxiv: and opensearch: extensions), current and 2016 formats.
// Also home of the XML plumbing parse-oai.ts shares: one hardened fast-xml-parser setup, well-formedness
// checks that turn into DocumentError, and text/attribute accessors for the parsed tree.
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import type { RecordInput } from '../papers/paper.ts';
import { parseArxivId } from '../papers/arxiv-id.ts';
import { DocumentError, type ParseItem } from './types.ts';
import { firstDoi, isAuthorName, toParseItem } from './parse-jsonl.ts';

export type XmlNode = Record<string, unknown>;

export const isNode = (v: unknown): v is XmlNode => typeof v === 'object' && v !== null && !Array.isArray(v);

export const asArray = (v: unknown): unknown[] => (v === undefined || v === null ? [] : Array.isArray(v) ? v : [v]);

const TEXT = '#text';
const ATTR = '@_';

/**
 * The text of an element as fast-xml-parser left it: a string, an object with '#text' (attributes present),
 * or, for stray markup inside the text, the element's text pieces joined (their order is not kept).
 * A repeated element gives its first occurrence. Undefined when absent.
 */
export function textOf(v: unknown): string | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  if (Array.isArray(v)) return textOf(v[0]);
  if (isNode(v)) {
    const parts: string[] = [];
    for (const [k, child] of Object.entries(v)) {
      if (k.startsWith(ATTR)) continue;
      const t = k === TEXT ? textOf(child) : asArray(child).map(textOf).join(' ');
      if (t) parts.push(t);
    }
    return parts.join(' ');
  }
  return undefined;
}

/** An attribute value, namespace prefix removed ("term", "code", "version"). */
export function attrOf(v: unknown, name: string): string | undefined {
  if (!isNode(v)) return undefined;
  const a = v[ATTR + name];
  return typeof a === 'string' ? a : undefined;
}

/** A non-negative integer from element or attribute text, else null. */
export function intOf(s: string | undefined): number | null {
  if (s === undefined) return null;
  const t = s.trim();
  if (!/^\d{1,15}$/.test(t)) return null;
  return Number(t);
}

// Entities: the five XML ones and numeric character references, decoded in one pass (so "&amp;#233;" stays
// "&#233;"). fast-xml-parser only decodes numeric references together with its HTML entity table, which we
// keep off; and entities declared in a DOCTYPE are refused outright, which rules out expansion bombs.
const XML_ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };
const ENTITY_REF = /&(?:#(\d{1,7})|#[xX]([0-9a-fA-F]{1,6})|([A-Za-z][\w.-]{0,31}));/g;

function decodeEntities(s: string): string {
  if (!s.includes('&')) return s;
  return s.replace(ENTITY_REF, (whole, dec: string | undefined, hex: string | undefined, name: string | undefined) => {
    if (name !== undefined) return XML_ENTITIES[name] ?? whole;
    const cp = dec !== undefined ? Number(dec) : parseInt(hex!, 16);
    if (cp === 0 || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return whole;
    return String.fromCodePoint(cp);
  });
}

class DoctypeEntitiesError extends Error {}

const entityDecoder = {
  setExternalEntities() {},
  addInputEntities(entities: Record<string, unknown>) {
    if (entities && Object.keys(entities).length > 0) throw new DoctypeEntitiesError('DOCTYPE entity declarations');
  },
  reset() {},
  decode: decodeEntities,
  setXmlVersion() {},
};

const UNCLOSED_LIST = /^Invalid '\[(.*)\]' found\.$/;

const parsers = new Map<string, XMLParser>();

function parserFor(arrayTags: readonly string[]): XMLParser {
  const key = arrayTags.join(',');
  let p = parsers.get(key);
  if (!p) {
    const arrays = new Set(arrayTags);
    p = new XMLParser({
      ignoreAttributes: false,
      attributeNamePrefix: ATTR,
      removeNSPrefix: true, // arxiv:comment -> comment, opensearch:totalResults -> totalResults
      parseTagValue: false, // a title "0" stays the string "0"
      parseAttributeValue: false,
      trimValues: true,
      processEntities: true,
      htmlEntities: false,
      entityDecoder,
      ignoreDeclaration: true,
      ignorePiTags: true,
      // Repeated elements are arrays even when a document has only one of them.
      isArray: (name, _path, _leaf, isAttribute) => !isAttribute && arrays.has(name),
    });
    parsers.set(key, p);
  }
  return p;
}

/**
 * Checks that `xml` is a well-formed document and parses it. Throws DocumentError naming the file, and the
 * line and column of the first problem, for empty, truncated or otherwise broken documents.
 */
export function parseXmlDocument(xml: string, file: string, arrayTags: readonly string[], what: string): XmlNode {
  const where = { file };
  const text = xml.charCodeAt(0) === 0xfeff ? xml.slice(1) : xml;
  if (!text.trim()) throw new DocumentError(where, `${file}: empty document, expected ${what} XML`);
  if (text.trimStart()[0] !== '<') throw new DocumentError(where, `${file}: not XML (expected ${what})`);
  const valid = XMLValidator.validate(text);
  if (valid !== true) {
    const { msg, line, col } = valid.err;
    // The validator reports several unclosed elements as a JSON list of names; say it in words.
    const unclosed = UNCLOSED_LIST.exec(msg);
    if (unclosed || msg.startsWith('Unclosed tag')) {
      const names = unclosed ? (JSON.parse(`[${unclosed[1]}]`) as string[]) : [msg.slice(14, -2)];
      throw new DocumentError(where, `${file}: XML ends inside ${names.map((n) => `<${n}>`).join(' ')} (truncated document?)`);
    }
    throw new DocumentError(where, `${file}: not well-formed XML (line ${line}, column ${col}): ${msg}`);
  }
  try {
    const doc: unknown = parserFor(arrayTags).parse(text);
    if (!isNode(doc)) throw new Error('no root element');
    return doc;
  } catch (err) {
    if (err instanceof DoctypeEntitiesError) {
      throw new DocumentError(where, `${file}: XML with DOCTYPE entity declarations is not accepted`);
    }
    throw new DocumentError(where, `${file}: cannot parse XML: ${(err as Error).message}`);
  }
}

const ATOM_ARRAYS = ['entry', 'author', 'category'] as const;
// The id of the entry arXiv sends instead of results for a bad request ("incorrect id format for abc").
const API_ERROR_ID = /^https?:\/\/(?:export\.)?arxiv\.org\/api\/errors/i;

export interface AtomPage {
  items: ParseItem[];
  /** opensearch:totalResults: matches for the whole query. */
  totalResults: number | null;
  /** opensearch:startIndex: 0-based offset of this page. */
  startIndex: number | null;
  itemsPerPage: number | null;
}

/**
 * Parses an arXiv query API response. Throws DocumentError for a broken document or an arXiv error entry
 * (code: the error's anchor, e.g. "incorrect_id_format_for_abc"); each entry becomes one ParseItem.
 */
export function parseArxivAtom(xml: string, file: string): AtomPage {
  const doc = parseXmlDocument(xml, file, ATOM_ARRAYS, 'Atom');
  const feed = doc.feed;
  if (!isNode(feed)) {
    if ('feed' in doc) return { items: [], totalResults: null, startIndex: null, itemsPerPage: null }; // <feed/>
    throw new DocumentError({ file }, `${file}: not an Atom feed (root element is <${Object.keys(doc)[0] ?? '?'}>)`);
  }
  const entries = asArray(feed.entry);
  for (const e of entries) {
    if (!isNode(e)) continue;
    const id = textOf(e.id)?.trim() ?? '';
    if (API_ERROR_ID.test(id)) {
      const message = textOf(e.summary)?.trim() || textOf(e.title)?.trim() || 'unknown error';
      const anchor = id.includes('#') ? id.slice(id.indexOf('#') + 1) : undefined;
      throw new DocumentError({ file }, `${file}: arXiv API error: ${message}`, anchor);
    }
  }
  const items = entries.map((e, i) => toParseItem(atomEntryInput(isNode(e) ? e : {}), { file, record: i + 1 }));
  return {
    items,
    totalResults: intOf(textOf(feed.totalResults)),
    startIndex: intOf(textOf(feed.startIndex)),
    itemsPerPage: intOf(textOf(feed.itemsPerPage)),
  };
}

function atomEntryInput(e: XmlNode): RecordInput {
  const idUrl = textOf(e.id)?.trim();
  const published = textOf(e.published)?.trim();
  const updated = textOf(e.updated)?.trim();
  // The entry id carries the version it describes; its `updated` is that version's date.
  const version = idUrl ? parseArxivId(idUrl)?.version ?? null : null;
  const versions: { version: number; date: string }[] = [];
  if (published) versions.push({ version: 1, date: published });
  if (version !== null && version > 1 && updated) versions.push({ version, date: updated });

  const categories: string[] = [];
  const primary = attrOf(asArray(e.primary_category)[0], 'term');
  if (primary) categories.push(primary);
  for (const c of asArray(e.category)) {
    const term = attrOf(c, 'term');
    if (term) categories.push(term);
  }
  const authors: string[] = [];
  for (const a of asArray(e.author)) {
    const name = textOf(isNode(a) ? a.name : a);
    if (name && isAuthorName(name)) authors.push(name);
  }
  const doi = textOf(e.doi);
  return {
    id: idUrl,
    title: textOf(e.title),
    abstract: textOf(e.summary),
    authors,
    categories,
    comment: textOf(e.comment),
    journalRef: textOf(e.journal_ref),
    doi: doi === undefined ? undefined : firstDoi(doi),
    publishedAt: published,
    updatedAt: updated,
    versions,
    source: 'arxiv-api',
  };
}
