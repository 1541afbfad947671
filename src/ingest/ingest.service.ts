// Writes parsed records into the paper store in batches, one transaction per batch, so an interrupted
// run leaves whole batches behind and a re-run (idempotent: merge rules in papers/paper.ts) finishes the
// job. In strict mode everything is one transaction and the first rejected record aborts it.
import type { Db } from '../db/client.ts';
import { writePapers } from '../papers/papers.repository.ts';
import type { PaperRecord } from '../papers/paper.ts';
import { formatWhere, type IngestSummary, type ParseItem } from './types.ts';

export interface Rejection {
  where: string;
  field: string;
  message: string;
}

export class StrictImportError extends Error {
  constructor(readonly rejection: Rejection) {
    super(
      `${rejection.where}: ${rejection.field} ${rejection.message} (--strict: the import was aborted and nothing was written)`,
    );
    this.name = 'StrictImportError';
  }
}

export interface IngestOptions {
  strict?: boolean;
  /** Records per transaction (non-strict mode). */
  batchSize?: number;
  /** Called after each batch is committed, with the running totals. */
  onProgress?: (summary: IngestSummary) => void;
  /** Called for every rejected record. */
  onReject?: (r: Rejection) => void;
}

export function emptySummary(): IngestSummary {
  return { read: 0, inserted: 0, updated: 0, unchanged: 0, rejected: 0 };
}

export async function ingestItems(
  db: Db,
  items: AsyncIterable<ParseItem> | Iterable<ParseItem>,
  opts: IngestOptions = {},
): Promise<IngestSummary> {
  const batchSize = opts.batchSize ?? 1000;
  const summary = emptySummary();

  const consume = async (
    flush: (batch: PaperRecord[]) => Promise<void>,
    onBad: (r: Rejection) => void,
  ): Promise<void> => {
    let batch: PaperRecord[] = [];
    for await (const item of items) {
      summary.read++;
      if (!item.ok) {
        summary.rejected++;
        onBad({ where: formatWhere(item.where), field: item.field, message: item.message });
        continue;
      }
      batch.push(item.record);
      if (batch.length >= batchSize) {
        await flush(batch);
        batch = [];
      }
    }
    if (batch.length) await flush(batch);
  };

  const add = (c: { inserted: number; updated: number; unchanged: number }) => {
    summary.inserted += c.inserted;
    summary.updated += c.updated;
    summary.unchanged += c.unchanged;
  };

  if (opts.strict) {
    await db.transaction(async (tx) => {
      await consume(
        async (batch) => {
          add(await writePapers(tx, batch));
          opts.onProgress?.({ ...summary });
        },
        (r) => {
          opts.onReject?.(r);
          throw new StrictImportError(r);
        },
      );
    });
  } else {
    // One batch is written while the next one is parsed: on a server the database works in parallel
    // with the parser. Batches still commit in order, one at a time.
    let inflight: Promise<void> | null = null;
    try {
      await consume(
        async (batch) => {
          if (inflight) await inflight;
          inflight = db.transaction((tx) => writePapers(tx, batch)).then((c) => {
            add(c);
            opts.onProgress?.({ ...summary });
          });
          // Marked as handled now; the failure is rethrown where it is awaited.
          inflight.catch(() => {});
        },
        (r) => opts.onReject?.(r),
      );
    } finally {
      // Wait for the last batch even when parsing failed, so nothing is left running.
      if (inflight) await inflight;
    }
  }
  opts.onProgress?.({ ...summary });
  return summary;
}
