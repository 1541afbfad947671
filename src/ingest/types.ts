// Shared shapes of the ingest pipeline: parsers yield ParseItems, the ingest service writes them.
import type { PaperRecord } from '../papers/paper.ts';

/** Where a record came from, for error messages: file, and line (JSON lines) or record number (XML, JSON). */
export interface Where {
  file: string;
  line?: number;
  record?: number;
}

export type ParseItem =
  | { ok: true; record: PaperRecord; where: Where }
  | { ok: false; where: Where; field: string; message: string };

export type ImportFormat = 'jsonl' | 'kaggle' | 'arxiv-atom' | 'arxiv-oai' | 'hf-daily';

export const IMPORT_FORMATS: ImportFormat[] = ['jsonl', 'kaggle', 'arxiv-atom', 'arxiv-oai', 'hf-daily'];

/** A whole document that cannot be parsed at all (not XML, not JSON, an error envelope...). */
export class DocumentError extends Error {
  constructor(readonly where: Where, message: string, readonly code?: string) {
    super(message);
    this.name = 'DocumentError';
  }
}

/** Counts reported at the end of an import or harvest. */
export interface IngestSummary {
  read: number;
  inserted: number;
  updated: number;
  unchanged: number;
  rejected: number;
}

export function formatWhere(w: Where): string {
  return `${w.file}${w.line !== undefined ? `:${w.line}` : ''}${w.record !== undefined ? ` record ${w.record}` : ''}`;
}
