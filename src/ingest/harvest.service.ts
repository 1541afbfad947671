// Harvests from arXiv through the polite client and writes each page as it arrives (one ingestItems
// call per page), so an interrupted harvest keeps every page it finished and a re-run is idempotent
// (the merge rules in papers/paper.ts turn already-stored papers into "unchanged").
import type { Context } from '../context.ts';
import { parseArxivId } from '../papers/arxiv-id.ts';
import type { ArxivClient, ApiQuery } from './arxiv-client.ts';
import { emptySummary, ingestItems, type Rejection } from './ingest.service.ts';
import type { IngestSummary, ParseItem } from './types.ts';

/** Ids per API request (arXiv's id_list lookups are answered in one page of at most this many). */
export const ID_CHUNK = 100;

export interface HarvestProgress {
  /** Pages fetched and written so far. */
  pages: number;
  /** HTTP requests sent so far, retries included. */
  requests: number;
  /** Records the harvest expects to read in all, when known (totalResults, completeListSize, ids). */
  expected: number | null;
  summary: IngestSummary;
}

export interface HarvestResult extends IngestSummary {
  pages: number;
  requests: number;
  /** Requested ids arXiv returned no entry for (harvestIds only). */
  notFound: string[];
  /** Why paging stopped (query and OAI harvests). */
  stopReason?: 'complete' | 'empty-page' | 'max-results' | 'unchanged-pages';
}

export interface HarvestCallbacks {
  onProgress?: (p: HarvestProgress) => void;
  onReject?: (r: Rejection) => void;
}

/** Running totals of one harvest. */
class Tally {
  readonly summary = emptySummary();
  pages = 0;
  readonly startRequests: number;
  expected: number | null = null;

  constructor(
    private readonly client: ArxivClient,
    private readonly cb: HarvestCallbacks,
  ) {
    this.startRequests = client.requestCount;
  }

  get requests(): number {
    return this.client.requestCount - this.startRequests;
  }

  /** Writes one page; returns that page's own counts. */
  async writePage(ctx: Context, items: ParseItem[]): Promise<IngestSummary> {
    // One page is one batch, so a page is written whole or not at all.
    const page = await ingestItems(ctx.db, items, {
      batchSize: Math.max(items.length, 1),
      onReject: this.cb.onReject,
    });
    this.pages++;
    for (const k of Object.keys(page) as (keyof IngestSummary)[]) this.summary[k] += page[k];
    this.report();
    return page;
  }

  report(): void {
    this.cb.onProgress?.({ pages: this.pages, requests: this.requests, expected: this.expected, summary: { ...this.summary } });
  }

  result(extra: Partial<HarvestResult> = {}): HarvestResult {
    return { ...this.summary, pages: this.pages, requests: this.requests, notFound: [], ...extra };
  }
}

/**
 * Fetches papers by id, in chunks of <= 100. Ids parseArxivId understands (bare, versioned, URLs) are
 * normalised; anything else is sent as given and left for arXiv to judge (it answers an invalid id with an
 * error, which surfaces as ArxivApiError). Ids arXiv has no entry for are listed in `notFound`.
 */
export async function harvestIds(
  ctx: Context,
  client: ArxivClient,
  ids: string[],
  opts: HarvestCallbacks = {},
): Promise<HarvestResult> {
  const tally = new Tally(client, opts);
  // Normalise and de-duplicate; keep versions ("2104.12255v1" asks for that version).
  const wanted: { query: string; id: string }[] = [];
  const seen = new Set<string>();
  for (const raw of ids) {
    const parsed = parseArxivId(raw);
    const query = parsed ? (parsed.version ? `${parsed.id}v${parsed.version}` : parsed.id) : raw.trim();
    if (!query || seen.has(query)) continue;
    seen.add(query);
    wanted.push({ query, id: parsed?.id ?? query });
  }
  tally.expected = wanted.length;
  const found = new Set<string>();
  for (let i = 0; i < wanted.length; i += ID_CHUNK) {
    const chunk = wanted.slice(i, i + ID_CHUNK);
    const page = await client.queryApi({ idList: chunk.map((w) => w.query), start: 0, maxResults: ID_CHUNK });
    for (const item of page.items) if (item.ok) found.add(item.record.id);
    await tally.writePage(ctx, page.items);
  }
  const notFound = wanted.filter((w) => !found.has(w.id)).map((w) => w.query);
  return tally.result({ notFound });
}

export interface QueryHarvestOptions extends HarvestCallbacks {
  pageSize?: number;
  /** Stop after reading this many entries. */
  maxResults?: number;
  /** Stop after this many consecutive pages that inserted or updated nothing (0 disables). */
  stopAfterUnchangedPages?: number;
  sortBy?: ApiQuery['sortBy'];
  sortOrder?: ApiQuery['sortOrder'];
}

/**
 * Pages through an API search (start = 0, pageSize, 2 * pageSize, ...) until arXiv's totalResults is
 * reached, a page comes back empty, maxResults entries were read, or `stopAfterUnchangedPages`
 * consecutive pages added nothing new (a re-run over papers already stored).
 */
export async function harvestQuery(
  ctx: Context,
  client: ArxivClient,
  query: string,
  opts: QueryHarvestOptions = {},
): Promise<HarvestResult> {
  const pageSize = opts.pageSize ?? 100;
  const maxResults = opts.maxResults ?? Infinity;
  const stopAfter = opts.stopAfterUnchangedPages ?? 3;
  if (!Number.isInteger(pageSize) || pageSize < 1 || pageSize > 2000) throw new Error('pageSize must be 1..2000');
  const tally = new Tally(client, opts);
  if (Number.isFinite(maxResults)) tally.expected = maxResults;
  let start = 0;
  let unchangedPages = 0;
  for (;;) {
    const want = Math.min(pageSize, maxResults - tally.summary.read);
    const page = await client.queryApi({
      searchQuery: query,
      start,
      maxResults: want,
      sortBy: opts.sortBy,
      sortOrder: opts.sortOrder,
    });
    if (page.totalResults !== null) {
      tally.expected = Math.min(page.totalResults, maxResults);
    }
    if (page.items.length === 0) {
      tally.report();
      return tally.result({ stopReason: 'empty-page' });
    }
    const counts = await tally.writePage(ctx, page.items);
    start += want;
    if (page.totalResults !== null && start >= page.totalResults) return tally.result({ stopReason: 'complete' });
    if (tally.summary.read >= maxResults) return tally.result({ stopReason: 'max-results' });
    unchangedPages = counts.inserted + counts.updated === 0 ? unchangedPages + 1 : 0;
    if (stopAfter > 0 && unchangedPages >= stopAfter) return tally.result({ stopReason: 'unchanged-pages' });
  }
}

export interface OaiHarvestOptions extends HarvestCallbacks {
  from?: string;
  until?: string;
  set?: string;
  metadataPrefix?: string;
  /** Stop after the page on which this many records have been read. */
  maxRecords?: number;
}

/** OAI-PMH ListRecords, following the resumptionToken chain until it is empty. */
export async function harvestOai(ctx: Context, client: ArxivClient, opts: OaiHarvestOptions = {}): Promise<HarvestResult> {
  const tally = new Tally(client, opts);
  const maxRecords = opts.maxRecords ?? Infinity;
  let page = await client.listRecords({ from: opts.from, until: opts.until, set: opts.set, metadataPrefix: opts.metadataPrefix });
  const tokens = new Set<string>();
  for (;;) {
    if (page.completeListSize !== null) tally.expected = Math.min(page.completeListSize, maxRecords);
    await tally.writePage(ctx, page.items);
    const token = page.resumptionToken?.trim() || null;
    if (!token) return tally.result({ stopReason: 'complete' });
    if (tally.summary.read >= maxRecords) return tally.result({ stopReason: 'max-results' });
    if (tokens.has(token)) {
      throw new Error(`arXiv OAI-PMH sent the resumptionToken "${token}" twice; stopping to avoid a loop (${page.url})`);
    }
    tokens.add(token);
    page = await client.listRecords({ resumptionToken: token });
  }
}

/** YYYYMMDDHHMM in UTC, the form of arXiv's submittedDate ranges. */
export function arxivDateTime(d: Date): string {
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  return `${p(d.getUTCFullYear(), 4)}${p(d.getUTCMonth() + 1)}${p(d.getUTCDate())}${p(d.getUTCHours())}${p(d.getUTCMinutes())}`;
}

/** The API search_query for papers submitted in [from, until] in any of the categories. */
export function recentQuery(categories: string[], from: Date, until: Date): string {
  if (categories.length === 0) throw new Error('recentQuery needs at least one category');
  const cats = categories.map((c) => `cat:${c}`).join(' OR ');
  return `(${cats}) AND submittedDate:[${arxivDateTime(from)} TO ${arxivDateTime(until)}]`;
}

export interface RecentHarvestOptions extends HarvestCallbacks {
  categories: string[];
  days: number;
  now: Date;
  pageSize?: number;
  stopAfterUnchangedPages?: number;
  maxResults?: number;
}

/** Papers submitted in the last `days` days in the categories, newest first, through the API. */
export async function harvestRecent(ctx: Context, client: ArxivClient, opts: RecentHarvestOptions): Promise<HarvestResult> {
  const from = new Date(opts.now.getTime() - opts.days * 24 * 3600_000);
  return harvestQuery(ctx, client, recentQuery(opts.categories, from, opts.now), {
    pageSize: opts.pageSize,
    maxResults: opts.maxResults,
    stopAfterUnchangedPages: opts.stopAfterUnchangedPages,
    sortBy: 'submittedDate',
    sortOrder: 'descending',
    onProgress: opts.onProgress,
    onReject: opts.onReject,
  });
}
