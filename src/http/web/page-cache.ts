// An in-process cache of rendered pages: a small LRU whose entries expire after a TTL, with one render
// at a time per key (concurrent requests for a page that is being rendered wait for that render).
//
// Freshness: the app drops everything on the 'papers-changed' event (a vote, an import); other
// processes sharing a PostgreSQL server do not send us that event, so the TTL bounds how stale a page
// can be there. A render that started before a clear() is handed to its waiters but not stored, so a
// page computed from data older than the change is never cached after it.
import { createHash } from 'node:crypto';

export interface RenderResult {
  status: number;
  body: string;
}

export interface CachedPage {
  status: number;
  /** The body, encoded once (UTF-8) so that a hit costs no re-encoding of a 50-60 KB page. */
  body: Buffer;
  /** Strong ETag of the body: a quoted hash. */
  etag: string;
}

export interface PageCacheOptions {
  /** Entries kept; the least recently used goes first. */
  maxEntries: number;
  /** Milliseconds an entry is served after it was rendered. */
  ttlMs: number;
  /** Monotonic milliseconds (tests pass their own). */
  now?: () => number;
}

/** A rendered page ready to send: its body encoded and hashed. */
export function finishPage(result: RenderResult): CachedPage {
  const body = Buffer.from(result.body, 'utf8');
  return { status: result.status, body, etag: `"${createHash('sha1').update(body).digest('base64url')}"` };
}

export class PageCache {
  private readonly entries = new Map<string, { page: CachedPage; expires: number }>();
  private readonly inflight = new Map<string, Promise<CachedPage>>();
  private generation = 0;
  private readonly now: () => number;
  hits = 0;
  misses = 0;

  constructor(private readonly opts: PageCacheOptions) {
    this.now = opts.now ?? (() => performance.now());
  }

  get size(): number {
    return this.entries.size;
  }

  /** The cached page for key, or the result of render() (cached when it succeeds). */
  get(key: string, render: () => Promise<RenderResult>): Promise<CachedPage> {
    const hit = this.entries.get(key);
    if (hit) {
      this.entries.delete(key);
      if (hit.expires > this.now()) {
        this.entries.set(key, hit); // most recently used goes last
        this.hits++;
        return Promise.resolve(hit.page);
      }
    }
    const pending = this.inflight.get(key);
    if (pending) return pending;
    this.misses++;
    const generation = this.generation;
    const rendering = render().then((result) => {
      const page = finishPage(result);
      if (generation === this.generation) this.store(key, page);
      return page;
    });
    this.inflight.set(key, rendering);
    const forget = () => {
      if (this.inflight.get(key) === rendering) this.inflight.delete(key);
    };
    rendering.then(forget, forget);
    return rendering;
  }

  /** Drops every entry, and keeps renders already under way from being stored. */
  clear(): void {
    this.entries.clear();
    this.inflight.clear();
    this.generation++;
  }

  private store(key: string, page: CachedPage): void {
    this.entries.set(key, { page, expires: this.now() + this.opts.ttlMs });
    while (this.entries.size > this.opts.maxEntries) {
      const oldest = this.entries.keys().next().value as string;
      this.entries.delete(oldest);
    }
  }
}

/** True when an If-None-Match header names this ETag (or is `*`); weak comparison (RFC 9110). */
export function etagMatches(header: string | undefined, etag: string): boolean {
  if (!header) return false;
  return header.split(',').some((tag) => {
    const t = tag.trim();
    return t === '*' || t.replace(/^W\//, '') === etag;
  });
}
