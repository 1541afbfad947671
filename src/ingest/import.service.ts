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

  // Sniff the raw head for gzip without consuming the stream: read one chunk, then unshift it.
  const first: Buffer | null = await new Promise((resolve, reject) => {
    const onReadable = () => {
      const chunk = counted.read() as Buffer | null;
      cleanup();
      resolve(chunk);
    };
    const onEnd = () => {
      cleanup();
      resolve(null);
    };
    const onError = (err: Error) => {
      cleanup();
      reject(err);
    };
    const cleanup = () => {
      counted.off('readable', onReadable);
      counted.off('end', onEnd);
      counted.off('error', onError);
    };
    counted.once('readable', onReadable);
    counted.once('end', onEnd);
    counted.once('error', onError);
  });
  if (!first || first.length === 0) throw new DocumentError({ file }, `${file === '-' ? 'standard input' : file} is empty`);
  counted.unshift(first);
  const gz = first[0] === 0x1f && first[1] === 0x8b;
  const text: Readable = gz ? counted.pipe(createGunzip()) : counted;
  if (gz) counted.on('error', (err) => text.destroy(err));

  // Sniff the decompressed head the same way.
  const headChunks: Buffer[] = [];
  let headSize = 0;
  while (headSize < SNIFF_BYTES) {
    const chunk: Buffer | null = await new Promise((resolve, reject) => {
      const c = text.read() as Buffer | null;
      if (c) return resolve(c);
      if (text.readableEnded) return resolve(null);
      const onReadable = () => {
        cleanup();
        resolve((text.read() as Buffer | null) ?? Buffer.alloc(0));
      };
      const onEnd = () => {
        cleanup();
        resolve(null);
      };
      const onError = (err: Error) => {
        cleanup();
        reject(new DocumentError({ file }, `${file}: cannot decompress: ${err.message}`));
      };
      const cleanup = () => {
        text.off('readable', onReadable);
        text.off('end', onEnd);
        text.off('error', onError);
      };
      text.once('readable', onReadable);
      text.once('end', onEnd);
      text.once('error', onError);
    });
    if (chunk === null) break;
    headChunks.push(chunk);
    headSize += chunk.length;
  }
  const headBuf = Buffer.concat(headChunks);
  if (headBuf.length) text.unshift(headBuf);
  return { text, head: headBuf.toString('utf8'), totalBytes, bytes: () => consumed };
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
  return { format, ...summary };
}

