// Bulk import from a file or standard input: gzip is recognised by its magic bytes, the format by the
// first bytes of the text (or --format). JSON lines are streamed; XML and JSON documents are read whole.
import { createReadStream, statSync } from 'node:fs';
import { createGunzip } from 'node:zlib';
import { createInterface } from 'node:readline';
import { Readable, Transform } from 'node:stream';
import type { Db } from '../db/client.ts';
import { detectFormat } from './detect.ts';
import { ingestItems, type Rejection } from './ingest.service.ts';
import { detectJsonlFormat, parseJsonlLine } from './parse-jsonl.ts';
import { parseArxivAtom } from './parse-atom.ts';
import { parseOaiPmh } from './parse-oai.ts';
import { parseHfDailyPapers } from './parse-hf.ts';
import { DocumentError, type ImportFormat, type IngestSummary, type ParseItem } from './types.ts';

/** Whole documents (XML, JSON arrays) above this size are refused rather than exhausting memory. */
export const MAX_DOCUMENT_BYTES = 512 * 1024 * 1024;
const SNIFF_BYTES = 64 * 1024;

export interface ImportOptions {
  format?: ImportFormat;
  strict?: boolean;
  batchSize?: number;
  onReject?: (r: Rejection) => void;
  /** Progress: input bytes consumed (compressed, when gzip), total bytes when known, running counts. */
  onProgress?: (p: { bytes: number; totalBytes: number | null; summary: IngestSummary }) => void;
  /** Standard input stream to use for '-' (tests pass their own). */
  stdin?: Readable;
}

export interface ImportResult extends IngestSummary {
  format: ImportFormat;
}

/** Counts bytes flowing through, for progress on the raw (possibly compressed) input. */
function byteCounter(onBytes: (n: number) => void): Transform {
  let n = 0;
  return new Transform({
    transform(chunk: Buffer, _enc, cb) {
      n += chunk.length;
      onBytes(n);
      cb(null, chunk);
    },
  });
}

/** Opens the input as a stream of decompressed text bytes, with byte progress on the raw input. */
async function openInput(
  file: string,
  opts: ImportOptions,
): Promise<{ text: Readable; head: string; totalBytes: number | null; bytes: () => number }> {
  let raw: Readable;
  let totalBytes: number | null = null;
  if (file === '-') {
    raw = opts.stdin ?? process.stdin;
  } else {
    let st;
    try {
      st = statSync(file);
    } catch (err) {
      throw new DocumentError({ file }, `cannot read ${file}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (err as Error).message}`);
    }
    if (st.isDirectory()) throw new DocumentError({ file }, `${file} is a directory, not a file`);
    totalBytes = st.size;
    raw = createReadStream(file);
  }
  let consumed = 0;
  const counted = raw.pipe(byteCounter((n) => (consumed = n)));
  raw.on('error', (err) => counted.destroy(err));

  // gzip is recognised by its magic bytes on the raw input, the format on the decompressed head.
  const rawSplit = await splitHead(counted, 2);
  if (rawSplit.head.length === 0) {
    throw new DocumentError({ file }, `${file === '-' ? 'standard input' : file} is empty`);
  }
  const gz = rawSplit.head[0] === 0x1f && rawSplit.head[1] === 0x8b;
  let decoded: Readable = rawSplit.stream;
  if (gz) {
    const gunzip = createGunzip();
    decoded = rawSplit.stream.pipe(gunzip);
    rawSplit.stream.on('error', (err) => gunzip.destroy(err));
  }
  let textSplit;
  try {
    textSplit = await splitHead(decoded, SNIFF_BYTES);
  } catch (err) {
    throw new DocumentError({ file }, `${file}: cannot decompress: ${(err as Error).message}`);
  }
  return { text: textSplit.stream, head: textSplit.head.toString('utf8'), totalBytes, bytes: () => consumed };
}

/**
 * Reads at least `bytes` bytes (or everything, if shorter) from a stream and returns them together
 * with a stream that yields the whole input again, head included.
 */
async function splitHead(stream: Readable, bytes: number): Promise<{ head: Buffer; stream: Readable }> {
  const it = stream[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  const chunks: Buffer[] = [];
  let size = 0;
  let done = false;
  while (size < bytes) {
    const next = await it.next();
    if (next.done) {
      done = true;
      break;
    }
    chunks.push(next.value);
    size += next.value.length;
  }
  const head = Buffer.concat(chunks);
  async function* replay(): AsyncGenerator<Buffer> {
    if (head.length) yield head;
    if (done) return;
    for (;;) {
      const next = await it.next();
      if (next.done) return;
      yield next.value;
    }
  }
  return { head, stream: Readable.from(replay(), { objectMode: false }) };
}


async function readAll(text: Readable, file: string): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of text) {
    size += (chunk as Buffer).length;
    if (size > MAX_DOCUMENT_BYTES) {
      throw new DocumentError({ file }, `${file} is larger than ${MAX_DOCUMENT_BYTES / 1024 / 1024} MB; split it or use JSON lines`);
    }
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

async function* jsonLines(text: Readable, file: string, format: 'jsonl' | 'kaggle' | null): AsyncGenerator<ParseItem> {
  const rl = createInterface({ input: text, crlfDelay: Infinity });
  let line = 0;
  let fmt = format;
  for await (const l of rl) {
    line++;
    if (!l.trim()) continue;
    if (!fmt) {
      try {
        const detected = detectJsonlFormat(JSON.parse(l));
        fmt = detected === 'kaggle' ? 'kaggle' : 'jsonl';
      } catch {
        fmt = 'jsonl';
      }
    }
    const item = parseJsonlLine(l, { file, line }, fmt);
    if (item) yield item;
  }
}

/** Imports one file ('-' for standard input). Throws DocumentError for unreadable or unknown input. */
export async function importFile(db: Db, file: string, opts: ImportOptions = {}): Promise<ImportResult> {
  const label = file === '-' ? '<stdin>' : file;
  const input = await openInput(file, opts);
  const format = opts.format ?? detectFormat(input.head);
  if (!format) {
    input.text.destroy();
    throw new DocumentError(
      { file: label },
      `${label}: cannot tell the format (not JSON lines, arXiv Atom or OAI-PMH XML, or Hugging Face JSON); pass --format`,
    );
  }
  let items: AsyncIterable<ParseItem> | Iterable<ParseItem>;
  if (format === 'jsonl' || format === 'kaggle') {
    items = jsonLines(input.text, label, opts.format ? format : null);
  } else {
    const doc = await readAll(input.text, label);
    if (format === 'arxiv-atom') items = parseArxivAtom(doc, label).items;
    else if (format === 'arxiv-oai') items = parseOaiPmh(doc, label).items;
    else items = parseHfDailyPapers(doc, label);
  }
  const summary = await ingestItems(db, items, {
    strict: opts.strict,
    batchSize: opts.batchSize,
    onReject: opts.onReject,
    onProgress: (s) => opts.onProgress?.({ bytes: input.bytes(), totalBytes: input.totalBytes, summary: s }),
  });
  // Fresh planner statistics after a bulk change: without them the first author or month query after
  // an import can pick a sequential scan over a GIN index.
  if (summary.inserted + summary.updated >= 1000) await db.exec('ANALYZE papers');
  return { format, ...summary };
}

