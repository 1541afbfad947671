// arXiv OAI-PMH responses (ListRecords and GetRecord) in the metadata formats arXiv and arXivRaw.
// arXivRaw carries the full version history with timestamps; arXiv carries parsed author names but only
// the created/updated dates.
import type { RecordInput } from '../papers/paper.ts';
import { DocumentError, type ParseItem } from './types.ts';
import { asArray, attrOf, intOf, isNode, parseXmlDocument, textOf, type XmlNode } from './parse-atom.ts';
import { firstDoi, isAuthorName, splitAuthorList, toParseItem } from './parse-jsonl.ts';

export interface OaiPage {
  items: ParseItem[];
  /** Token for the next request; null when the list is complete. */
  resumptionToken: string | null;
  completeListSize: number | null;
  /** 0-based position of this page's first record in the complete list. */
  cursor: number | null;
}

const OAI_ARRAYS = ['record', 'author', 'version', 'setSpec', 'error'] as const;
const OAI_ID_PREFIX = /^oai:arxiv\.org:/i;
const WS = /\s+/;

/**
 * Parses an OAI-PMH response. Deleted records are skipped; `noRecordsMatch` is an empty page, any other OAI
 * error throws DocumentError with the OAI error code in `code`.
 */
export function parseOaiPmh(xml: string, file: string): OaiPage {
  const doc = parseXmlDocument(xml, file, OAI_ARRAYS, 'OAI-PMH');
  const root = doc['OAI-PMH'];
  if (!isNode(root)) {
    throw new DocumentError({ file }, `${file}: not an OAI-PMH response (root element is <${Object.keys(doc)[0] ?? '?'}>)`);
  }
  const empty: OaiPage = { items: [], resumptionToken: null, completeListSize: null, cursor: null };

  const errors = asArray(root.error);
  if (errors.length > 0) {
    const real = errors.find((e) => attrOf(e, 'code') !== 'noRecordsMatch');
    if (!real) return empty; // "no records match": a harvest of a quiet day, not a failure
    const code = attrOf(real, 'code') ?? 'unknown';
    const text = textOf(real)?.trim() || '(no message)';
    throw new DocumentError({ file }, `${file}: arXiv OAI-PMH error ${code}: ${text}`, code);
  }

  const container = root.ListRecords ?? root.GetRecord;
  if (container === undefined) {
    const verb = Object.keys(root).find((k) => !k.startsWith('@_') && k !== 'responseDate' && k !== 'request');
    throw new DocumentError({ file }, `${file}: OAI-PMH response has no ListRecords or GetRecord (found ${verb ? `<${verb}>` : 'nothing'})`);
  }
  if (!isNode(container)) return empty; // <ListRecords/>

  const items: ParseItem[] = [];
  asArray(container.record).forEach((rec, i) => {
    const where = { file, record: i + 1 };
    const r = isNode(rec) ? rec : {};
    const header = isNode(r.header) ? r.header : {};
    if (attrOf(header, 'status') === 'deleted') return;
    const metadata = isNode(r.metadata) ? r.metadata : {};
    const headerId = textOf(header.identifier)?.trim().replace(OAI_ID_PREFIX, '');
    if (isNode(metadata.arXiv)) {
      const item = toParseItem(arxivInput(metadata.arXiv, headerId), where);
      // This format does not say which version its metadata describes.
      if (item.ok) item.record = { ...item.record, version: null };
      items.push(item);
    } else if (isNode(metadata.arXivRaw)) {
      items.push(toParseItem(arxivRawInput(metadata.arXivRaw, headerId), where));
    } else {
      const format = Object.keys(metadata).find((k) => !k.startsWith('@_'));
      items.push({
        ok: false,
        where,
        field: '(metadata)',
        message: format
          ? `unsupported metadata format <${format}> (harvest with metadataPrefix arXiv or arXivRaw)`
          : 'record has no metadata',
      });
    }
  });

  const rt = container.resumptionToken;
  const token = textOf(rt)?.trim();
  return {
    items,
    // An empty resumptionToken element marks the last page of a list.
    resumptionToken: token ? token : null,
    completeListSize: intOf(attrOf(rt, 'completeListSize')),
    cursor: intOf(attrOf(rt, 'cursor')),
  };
}

const words = (v: unknown) => {
  const s = textOf(v);
  return s === undefined ? undefined : s.split(WS).filter(Boolean);
};

const doiOf = (v: unknown) => {
  const s = textOf(v);
  return s === undefined ? undefined : firstDoi(s);
};

/** metadataPrefix=arXiv: structured author names, created/updated dates (YYYY-MM-DD). */
function arxivInput(m: XmlNode, headerId: string | undefined): RecordInput {
  const authors: string[] = [];
  const list = isNode(m.authors) ? m.authors : {};
  for (const a of asArray(list.author)) {
    if (!isNode(a)) continue;
    const name = [textOf(a.forenames), textOf(a.keyname), textOf(a.suffix)]
      .map((p) => p?.trim())
      .filter(Boolean)
      .join(' ');
    if (isAuthorName(name)) authors.push(name);
  }
  const created = textOf(m.created)?.trim();
  const updated = textOf(m.updated)?.trim();
  return {
    id: textOf(m.id)?.trim() || headerId,
    title: textOf(m.title),
    abstract: textOf(m.abstract),
    authors,
    categories: words(m.categories),
    comment: textOf(m.comments),
    journalRef: textOf(m['journal-ref']),
    doi: doiOf(m.doi),
    license: textOf(m.license),
    publishedAt: created,
    // `updated` is the date of the latest version, whose number this format does not give.
    updatedAt: updated,
    versions: created ? [{ version: 1, date: created }] : undefined,
    source: 'arxiv-oai',
  };
}

/** metadataPrefix=arXivRaw: every version with its RFC 2822 timestamp; authors as one string. */
function arxivRawInput(m: XmlNode, headerId: string | undefined): RecordInput {
  const versions = asArray(m.version).map((v) => ({ version: attrOf(v, 'version'), date: textOf(isNode(v) ? v.date : undefined)?.trim() }));
  const authors = textOf(m.authors);
  return {
    id: textOf(m.id)?.trim() || headerId,
    title: textOf(m.title),
    abstract: textOf(m.abstract),
    authors: authors === undefined ? undefined : splitAuthorList(authors),
    categories: words(m.categories),
    comment: textOf(m.comments),
    journalRef: textOf(m['journal-ref']),
    doi: doiOf(m.doi),
    license: textOf(m.license),
    versions,
    source: 'arxiv-oai',
  };
}
