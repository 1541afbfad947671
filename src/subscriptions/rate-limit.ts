// A small in-process rate limiter: at most `limit` hits per key in a sliding window (the hits' times
// are kept, at most `limit` per key). Per process: with several processes each counts its own, which
// multiplies the limit by the number of processes; the per-address limit lives in the database instead.
export interface RateLimitOptions {
  limit: number;
  windowMs: number;
  /** Keys tracked at most (oldest dropped first), so a flood of addresses cannot grow memory without bound. */
  maxKeys?: number;
}

export class RateLimiter {
  private readonly hits = new Map<string, number[]>();

  constructor(private readonly opts: RateLimitOptions) {}

  /** Records a hit at `now`; refused (not recorded) when the key is over its limit. */
  hit(key: string, now = Date.now()): { allowed: true } | { allowed: false; retryAfterSeconds: number } {
    const since = now - this.opts.windowMs;
    const times = (this.hits.get(key) ?? []).filter((t) => t > since);
    if (times.length >= this.opts.limit) {
      this.hits.set(key, times);
      return { allowed: false, retryAfterSeconds: Math.max(1, Math.ceil((times[0] + this.opts.windowMs - now) / 1000)) };
    }
    times.push(now);
    this.hits.delete(key); // re-insert: the Map's order is then least recently used first
    this.hits.set(key, times);
    const max = this.opts.maxKeys ?? 10_000;
    while (this.hits.size > max) this.hits.delete(this.hits.keys().next().value as string);
    return { allowed: true };
  }
}
