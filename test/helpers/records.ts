// Builders for paper records in tests: valid by default, overridable field by field.
import { normalizeRecord, type PaperRecord, type RecordInput } from '../../src/papers/paper.ts';
import { listingDayFor } from '../../src/papers/listing.ts';

export function record(overrides: Partial<RecordInput> = {}): PaperRecord {
  return normalizeRecord(
    {
      id: '2507.00001',
      title: 'A Study of Things',
      abstract: 'We study things.\nAnd more things.',
      authors: ['Ada Lovelace', 'Alan Turing'],
      categories: ['cs.CL', 'cs.AI'],
      firstListed: '2025-07-02',
      source: 'test',
      ...overrides,
    },
    listingDayFor,
  );
}

/** One line of paperpulse JSONL (the corpus shape). */
export function jsonlLine(i: number, extra: Record<string, unknown> = {}): string {
  return JSON.stringify({
    id: `2507.${String(10000 + i)}`,
    title: `Synthetic paper number ${i}`,
    authors: [`Author ${i}`, 'Grace Hopper'],
    categories: ['cs.LG', 'cs.AI'],
    comment: null,
    summary: `Abstract of synthetic paper ${i},\nwrapped over lines.`,
    first_listed: `2025-07-${String(1 + (i % 28)).padStart(2, '0')}`,
    ...extra,
  });
}
