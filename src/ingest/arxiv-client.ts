// A polite HTTP client for arXiv's query API (Atom) and OAI-PMH endpoint.
// arXiv asks harvesters to make one request at a time, to pause (3 s) between requests, to identify
// themselves, and to back off when told to (503 + Retry-After). This client does all of that:
//  - requests go through a queue: never two in flight, so one keep-alive connection is reused;
//  - at least `intervalMs` passes between the end of one request and the start of the next
//    (never below 3 s when talking to arxiv.org itself);
//  - 429/502/503/504, network errors and cut-off bodies are retried with exponential backoff and jitter,
//    honouring Retry-After (seconds or an HTTP date, capped);
//  - failures end in distinct errors: ArxivUnreachableError, ArxivHttpError, ArxivResponseError
//    (truncated or malformed body), ArxivApiError (an arXiv error entry), ArxivOaiError (an OAI-PMH error).
import { readFileSync } from 'node:fs';
import { isRealArxiv, type Config } from '../config.ts';
import type { Logger } from '../log.ts';
import { parseArxivAtom } from './parse-atom.ts';
import { parseOaiPmh } from './parse-oai.ts';
import { DocumentError, type ParseItem } from './types.ts';

/** arXiv's own floor for the pause between requests. */
export const ARXIV_MIN_INTERVAL_MS = 3_000;
const RETRYABLE_STATUS = new Set([429, 502, 503, 504]);

export interface ArxivClientOptions {
  apiUrl: string;
  oaiUrl: string;
  /** Minimum pause between the end of one request and the start of the next. */
  intervalMs: number;
  /** Sent as User-Agent, e.g. "paperpulse/0.1.0 (+https://papers.example.org)". */
  userAgent: string;
  log?: Logger;
  sleep?: (ms: number) => Promise<void>;
  fetch?: typeof globalThis.fetch;
  /** Retries after the first attempt (default 5). */
  maxRetries?: number;
  /** Per-request timeout, headers and body included (default 60 s). */
  timeoutMs?: number;
  /** First backoff step; doubles each retry, plus up to the same again of jitter (default 2 s). */
  backoffBaseMs?: number;
  /** Cap on any single backoff or Retry-After wait (default 5 minutes). */
  maxWaitMs?: number;
  /** Told about every retry before its wait (for progress output). */
  onRetry?: (info: RetryInfo) => void;
  /** Cancels the request in flight and any wait (server shutdown); the abort reason is thrown. */
  signal?: AbortSignal;
}

export interface RetryInfo {
  url: string;
  attempt: number;
  waitMs: number;
  reason: string;
}

export interface ApiQuery {
  idList?: string[];
  searchQuery?: string;
  start: number;
  maxResults: number;
  sortBy?: 'relevance' | 'lastUpdatedDate' | 'submittedDate';
  sortOrder?: 'ascending' | 'descending';
}

export interface ApiResult {
  /** The request URL (used as the `file` of every parsed item). */
  url: string;
  items: ParseItem[];
  totalResults: number | null;
  startIndex: number | null;
  itemsPerPage: number | null;
}

export interface OaiQuery {
  from?: string;
  until?: string;
  set?: string;
  metadataPrefix?: string;
  resumptionToken?: string;
}

export interface OaiResult {
  url: string;
  items: ParseItem[];
  resumptionToken: string | null;
  completeListSize: number | null;
  cursor: number | null;
}

/** Base class of every failure of a request to arXiv; `url` is the request URL. */
export class ArxivError extends Error {
  constructor(readonly url: string, message: string) {
    super(message);
    this.name = 'ArxivError';
  }
}

/** DNS failure, refused or reset connection, timeout: arXiv (or the configured URL) cannot be reached. */
export class ArxivUnreachableError extends ArxivError {
  constructor(url: string, readonly reason: string, readonly attempts: number) {
    super(
      url,
      `cannot reach arXiv at ${url}: ${reason}` +
        (attempts > 1 ? ` (gave up after ${attempts} attempts)` : '') +
        '; check the network connection and ARXIV_API_URL / ARXIV_OAI_URL',
    );
    this.name = 'ArxivUnreachableError';
  }
}

/** arXiv answered with an HTTP error status. */
export class ArxivHttpError extends ArxivError {
  constructor(url: string, readonly status: number, readonly snippet: string, readonly attempts: number) {
    super(
      url,
      `arXiv answered HTTP ${status} for ${url}` +
        (attempts > 1 ? ` (gave up after ${attempts} attempts)` : '') +
        (snippet ? `: ${snippet}` : ''),
    );
    this.name = 'ArxivHttpError';
  }
}

/** The API answered with an error entry (e.g. HTTP 400 "incorrect id format for abc"). */
export class ArxivApiError extends ArxivError {
  constructor(url: string, readonly status: number, readonly arxivMessage: string) {
    super(url, `arXiv rejected the request${status !== 200 ? ` (HTTP ${status})` : ''}: ${arxivMessage} [${url}]`);
    this.name = 'ArxivApiError';
  }
}

/** The OAI-PMH endpoint answered with an <error code="...">. */
export class ArxivOaiError extends ArxivError {
  constructor(url: string, readonly code: string, readonly oaiMessage: string) {
    super(url, `arXiv OAI-PMH error ${code}: ${oaiMessage} [${url}]`);
    this.name = 'ArxivOaiError';
  }
}

/** The body was cut off (fewer bytes than Content-Length, connection closed) or is not well-formed XML. */
export class ArxivResponseError extends ArxivError {
  constructor(url: string, readonly detail: string, readonly attempts: number) {
    super(
      url,
      `truncated or malformed response from ${url}: ${detail}` +
        (attempts > 1 ? ` (gave up after ${attempts} attempts)` : ''),
    );
    this.name = 'ArxivResponseError';
  }
}

/** One attempt's failure, classified for the retry loop. */
class AttemptFailure extends Error {
  constructor(
    readonly kind: 'unreachable' | 'http' | 'truncated',
    message: string,
    readonly status?: number,
    readonly body?: string,
    readonly retryAfterMs?: number | null,
    /** A refused connection or an unknown host: retried, but only a couple of times. */
    readonly hard = false,
  ) {
    super(message);
  }
}

/** Failures that rarely heal within a minute: worth a couple of retries, not the full backoff ladder. */
const HARD_NETWORK_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'ERR_INVALID_URL']);
const HARD_RETRIES = 2;

function networkCode(err: unknown): string | undefined {
  const e = err as { code?: string; cause?: { code?: string } };
  return e?.cause?.code ?? e?.code;
}

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Parses Retry-After: delay-seconds or an HTTP date. Returns milliseconds, or null when absent/invalid. */
export function parseRetryAfter(value: string | null, now: number = Date.now()): number | null {
  if (!value) return null;
  const v = value.trim();
  if (/^\d+$/.test(v)) return Number(v) * 1000;
  const t = Date.parse(v);
  if (Number.isNaN(t)) return null;
  return Math.max(0, t - now);
}

/** Collapses whitespace and cuts a body down to something fit for an error message. */
function snippetOf(body: string, max = 200): string {
  const s = body.replace(/<[^>]+>/g, ' ').replace(/\s+/g, ' ').trim();
  return s.length > max ? `${s.slice(0, max)}...` : s;
}

/** Parser messages start with "<file>: "; the file is the URL, which the error names already. */
function withoutUrl(message: string, url: string): string {
  return message.startsWith(`${url}: `) ? message.slice(url.length + 2) : message;
}

/** Names a network error the way a user understands it. */
function describeNetworkError(err: unknown, timeoutMs: number): string {
  const e = err as { name?: string; message?: string; code?: string; cause?: { code?: string; message?: string } };
  if (e?.name === 'TimeoutError' || e?.name === 'AbortError') return `no complete answer within ${timeoutMs >= 1000 ? `${Math.round(timeoutMs / 1000)} s` : `${timeoutMs} ms`} (timeout)`;
  const code = e?.cause?.code ?? e?.code;
  switch (code) {
    case 'ECONNREFUSED':
      return 'connection refused (ECONNREFUSED)';
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return `host name not found (${code})`;
    case 'ECONNRESET':
      return 'connection reset (ECONNRESET)';
    case 'ETIMEDOUT':
    case 'UND_ERR_CONNECT_TIMEOUT':
      return `connection timed out (${code})`;
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return `network unreachable (${code})`;
    case 'UND_ERR_SOCKET':
      return 'connection closed by the server (UND_ERR_SOCKET)';
    default: {
      const msg = e?.cause?.message ?? e?.message ?? String(err);
      return code ? `${msg} (${code})` : msg;
    }
  }
}

/** The text of an arXiv API error entry (<entry><id>...api/errors#...</id><summary>text</summary>), if any. */
function arxivErrorText(body: string): string | null {
  const entry = /<entry>[\s\S]*?<id>[^<]*\/api\/errors[^<]*<\/id>[\s\S]*?<\/entry>/.exec(body);
  if (!entry) return null;
  const summary = /<summary[^>]*>([\s\S]*?)<\/summary>/.exec(entry[0]);
  return summary ? summary[1].replace(/\s+/g, ' ').trim() : null;
}

export class ArxivClient {
  readonly apiUrl: string;
  readonly oaiUrl: string;
  readonly intervalMs: number;
  readonly userAgent: string;
  /** HTTP requests sent so far, retries included. */
  requestCount = 0;

  private readonly log?: Logger;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly fetchImpl: typeof globalThis.fetch;
  private readonly maxRetries: number;
  private readonly timeoutMs: number;
  private readonly backoffBaseMs: number;
  private readonly maxWaitMs: number;
  private readonly onRetry?: (info: RetryInfo) => void;
  private readonly signal?: AbortSignal;
  /** Tail of the request queue: each request starts when the previous one has settled. */
  private queue: Promise<unknown> = Promise.resolve();
  /** performance.now() when the last request finished (body read or failed), or null. */
  private lastEnd: number | null = null;

  constructor(opts: ArxivClientOptions) {
    this.apiUrl = opts.apiUrl;
    this.oaiUrl = opts.oaiUrl;
    const real = isRealArxiv(opts.apiUrl) || isRealArxiv(opts.oaiUrl);
    this.intervalMs = Math.max(opts.intervalMs, real ? ARXIV_MIN_INTERVAL_MS : 0);
    this.userAgent = opts.userAgent;
    this.log = opts.log;
    this.sleep = opts.sleep ?? defaultSleep;
    this.fetchImpl = opts.fetch ?? globalThis.fetch;
    this.maxRetries = opts.maxRetries ?? 5;
    this.timeoutMs = opts.timeoutMs ?? 60_000;
    this.backoffBaseMs = opts.backoffBaseMs ?? 2_000;
    this.maxWaitMs = opts.maxWaitMs ?? 5 * 60_000;
    this.onRetry = opts.onRetry;
    this.signal = opts.signal;
  }

  /** The API URL for a query (exported for logs and tests). */
  apiRequestUrl(q: ApiQuery): string {
    const params = new URLSearchParams();
    if (q.searchQuery !== undefined && q.searchQuery !== '') params.set('search_query', q.searchQuery);
    if (q.idList && q.idList.length) params.set('id_list', q.idList.join(','));
    if (q.sortBy) params.set('sortBy', q.sortBy);
    if (q.sortOrder) params.set('sortOrder', q.sortOrder);
    params.set('start', String(q.start));
    params.set('max_results', String(q.maxResults));
    return `${this.apiUrl}?${params}`;
  }

  /** The OAI-PMH ListRecords URL; with a resumptionToken only the verb and the token are sent. */
  oaiRequestUrl(q: OaiQuery): string {
    const params = new URLSearchParams({ verb: 'ListRecords' });
    if (q.resumptionToken) {
      params.set('resumptionToken', q.resumptionToken);
    } else {
      params.set('metadataPrefix', q.metadataPrefix ?? 'arXiv');
      if (q.from) params.set('from', q.from);
      if (q.until) params.set('until', q.until);
      if (q.set) params.set('set', q.set);
    }
    return `${this.oaiUrl}?${params}`;
  }

  /** One page of the query API, parsed. */
  async queryApi(q: ApiQuery): Promise<ApiResult> {
    if (!q.searchQuery && !(q.idList && q.idList.length)) throw new Error('queryApi needs searchQuery or idList');
    const url = this.apiRequestUrl(q);
    // arXiv answers a bad query (an invalid id, a malformed search) with HTTP 400 and an Atom error entry.
    const { status, body } = await this.get(url, { acceptErrorStatus: [400] });
    let parsed: ReturnType<typeof parseArxivAtom>;
    try {
      parsed = parseArxivAtom(body, url);
    } catch (err) {
      if (!(err instanceof DocumentError)) throw err;
      // parse-atom gives arXiv error entries a code (the error's anchor); broken documents have none.
      if (err.code) throw new ArxivApiError(url, status, arxivErrorText(body) ?? withoutUrl(err.message, url));
      if (status === 400) throw new ArxivHttpError(url, status, snippetOf(body), 1);
      throw new ArxivResponseError(url, withoutUrl(err.message, url), 1);
    }
    if (status === 400) throw new ArxivHttpError(url, status, snippetOf(body), 1);
    return { url, ...parsed };
  }

  /** One ListRecords page from the OAI-PMH endpoint, parsed. noRecordsMatch yields no items and no token. */
  async listRecords(q: OaiQuery = {}): Promise<OaiResult> {
    const url = this.oaiRequestUrl(q);
    // OAI-PMH errors normally come with HTTP 200; some servers use 400/404/422 for them.
    const { status, body } = await this.get(url, { acceptErrorStatus: [400, 404, 422] });
    let parsed: ReturnType<typeof parseOaiPmh>;
    try {
      parsed = parseOaiPmh(body, url);
    } catch (err) {
      if (!(err instanceof DocumentError)) throw err;
      if (err.code) {
        const text = /<error[^>]*>([\s\S]*?)<\/error>/.exec(body)?.[1]?.replace(/\s+/g, ' ').trim();
        throw new ArxivOaiError(url, err.code, text || withoutUrl(err.message, url));
      }
      if (status >= 300) throw new ArxivHttpError(url, status, snippetOf(body), 1);
      throw new ArxivResponseError(url, withoutUrl(err.message, url), 1);
    }
    if (status >= 300 && (parsed.items.length > 0 || !/\bcode="noRecordsMatch"/.test(body))) {
      throw new ArxivHttpError(url, status, snippetOf(body), 1);
    }
    return { url, ...parsed };
  }

  /**
   * GETs a URL through the queue with retries. Resolves with the status and the whole body for 2xx and
   * the statuses in acceptErrorStatus; throws one of the Arxiv*Error classes otherwise.
   */
  get(url: string, opts: { acceptErrorStatus?: number[] } = {}): Promise<{ status: number; body: string }> {
    const run = this.queue.then(() => this.getWithRetries(url, opts.acceptErrorStatus ?? []));
    // The next request waits for this one to settle, whatever the outcome.
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async getWithRetries(url: string, accept: number[]): Promise<{ status: number; body: string }> {
    let attempt = 0;
    for (;;) {
      attempt++;
      await this.waitForInterval();
      this.signal?.throwIfAborted();
      let failure: AttemptFailure;
      try {
        const res = await this.attempt(url);
        if ((res.status >= 200 && res.status < 300) || accept.includes(res.status)) return res;
        failure = new AttemptFailure('http', `HTTP ${res.status}`, res.status, res.body, res.retryAfterMs);
      } catch (err) {
        if (!(err instanceof AttemptFailure)) throw err;
        failure = err;
      }
      const retryable = failure.kind !== 'http' || RETRYABLE_STATUS.has(failure.status!);
      const maxRetries = failure.hard ? Math.min(this.maxRetries, HARD_RETRIES) : this.maxRetries;
      if (!retryable || attempt > maxRetries) throw this.finalError(url, failure, attempt);
      const backoff = this.backoffBaseMs * 2 ** (attempt - 1);
      const jitter = Math.random() * this.backoffBaseMs;
      let waitMs = Math.min(backoff + jitter, this.maxWaitMs);
      if (failure.retryAfterMs !== undefined && failure.retryAfterMs !== null) {
        waitMs = Math.min(Math.max(failure.retryAfterMs, this.intervalMs), this.maxWaitMs);
      }
      waitMs = Math.round(waitMs);
      const reason = failure.kind === 'http' ? `HTTP ${failure.status}` : failure.message;
      this.log?.warn({ url, attempt, waitMs, reason }, 'arXiv request failed, retrying');
      this.onRetry?.({ url, attempt, waitMs, reason });
      await this.pause(waitMs);
    }
  }

  /** Sleeps, but ends early (throwing the abort reason) when the client's signal fires. */
  private async pause(ms: number): Promise<void> {
    const signal = this.signal;
    if (!signal) return this.sleep(ms);
    signal.throwIfAborted();
    let onAbort: () => void = () => {};
    const aborted = new Promise<never>((_, reject) => {
      onAbort = () => reject(signal.reason);
      signal.addEventListener('abort', onAbort, { once: true });
    });
    try {
      await Promise.race([this.sleep(ms), aborted]);
    } finally {
      signal.removeEventListener('abort', onAbort);
    }
  }

  private finalError(url: string, f: AttemptFailure, attempts: number): ArxivError {
    if (f.kind === 'unreachable') return new ArxivUnreachableError(url, f.message, attempts);
    if (f.kind === 'truncated') return new ArxivResponseError(url, f.message, attempts);
    const body = f.body ?? '';
    const apiText = arxivErrorText(body);
    if (apiText) return new ArxivApiError(url, f.status!, apiText);
    return new ArxivHttpError(url, f.status!, snippetOf(body), attempts);
  }

  private async waitForInterval(): Promise<void> {
    if (this.lastEnd === null) return;
    const wait = this.lastEnd + this.intervalMs - performance.now();
    if (wait > 0) await this.pause(Math.ceil(wait));
  }

  /** One HTTP GET, body read completely; network failures and short bodies become AttemptFailures. */
  private async attempt(url: string): Promise<{ status: number; body: string; retryAfterMs: number | null }> {
    this.requestCount++;
    this.log?.debug({ url }, 'arXiv request');
    try {
      let res: Response;
      try {
        res = await this.fetchImpl(url, {
          headers: { 'user-agent': this.userAgent, accept: 'application/atom+xml, application/xml, text/xml' },
          signal: this.signal
            ? AbortSignal.any([this.signal, AbortSignal.timeout(this.timeoutMs)])
            : AbortSignal.timeout(this.timeoutMs),
        });
      } catch (err) {
        if (this.signal?.aborted) throw this.signal.reason;
        const code = networkCode(err);
        const hard = code !== undefined && HARD_NETWORK_CODES.has(code);
        throw new AttemptFailure('unreachable', describeNetworkError(err, this.timeoutMs), undefined, undefined, null, hard);
      }
      const declared = res.headers.get('content-length');
      const encoding = res.headers.get('content-encoding');
      const chunks: Uint8Array[] = [];
      let received = 0;
      try {
        if (res.body) {
          for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
            chunks.push(chunk);
            received += chunk.length;
          }
        }
      } catch (err) {
        if (this.signal?.aborted) throw this.signal.reason;
        if ((err as Error)?.name === 'TimeoutError') {
          throw new AttemptFailure('unreachable', `${describeNetworkError(err, this.timeoutMs)} while reading the body`);
        }
        const expected = declared && (!encoding || encoding === 'identity') ? ` of ${declared}` : '';
        const why = describeNetworkError(err, this.timeoutMs);
        throw new AttemptFailure('truncated', `the connection ended after ${received}${expected} bytes (${why})`);
      }
      if (declared !== null && (!encoding || encoding === 'identity') && /^\d+$/.test(declared) && Number(declared) !== received) {
        throw new AttemptFailure('truncated', `received ${received} bytes, but Content-Length announced ${declared}`);
      }
      const body = Buffer.concat(chunks).toString('utf8');
      return { status: res.status, body, retryAfterMs: parseRetryAfter(res.headers.get('retry-after')) };
    } finally {
      this.lastEnd = performance.now();
    }
  }
}

/** The package version, for the User-Agent. */
export const PACKAGE_VERSION: string = (() => {
  try {
    return (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
  } catch {
    return '0.0.0';
  }
})();

/** "paperpulse/<version> (+<public URL>)": tells arXiv who is harvesting and where to look. */
export function userAgentFor(config: Pick<Config, 'publicUrl'>): string {
  return `paperpulse/${PACKAGE_VERSION} (+${config.publicUrl}; self-hosted research-paper discovery)`;
}

/** A client configured from the application configuration (3 s floor against arxiv.org applies). */
export function createArxivClient(
  config: Pick<Config, 'arxivApiUrl' | 'arxivOaiUrl' | 'arxivIntervalMs' | 'publicUrl'>,
  log?: Logger,
  signal?: AbortSignal,
  extra: Partial<ArxivClientOptions> = {},
): ArxivClient {
  return new ArxivClient({
    apiUrl: config.arxivApiUrl,
    oaiUrl: config.arxivOaiUrl,
    intervalMs: config.arxivIntervalMs,
    userAgent: userAgentFor(config),
    log,
    signal,
    ...extra,
  });
}
