// A local HTTP server that replays arXiv responses for the harvest tests. Routes match on the request's
// query parameters and answer with a sequence of responses (the last one repeats). Every request is
// recorded (URL, parameters, headers, arrival and end times) along with the highest number of requests
// it ever had in flight at once, so tests can check the client's politeness.
import { readdirSync, readFileSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import path from 'node:path';

export interface ReplayResponse {
  status?: number;
  headers?: Record<string, string>;
  body?: string;
  /** Send only this many bytes of the body (Content-Length still announces all of it), then cut the connection. */
  truncateAt?: number;
  /** Wait this long before answering. */
  delayMs?: number;
}

/**
 * Which requests a route answers: a function of the query parameters, or an object of parameter -> expected
 * value (a string for equality, a RegExp, or null for "absent"); parameters not named are ignored.
 */
export type QueryMatcher =
  | ((params: URLSearchParams, pathname: string) => boolean)
  | Record<string, string | RegExp | null>;

export interface ReplayRoute {
  name: string;
  /** Only requests to this path (default: any path). */
  path?: string;
  match: QueryMatcher;
  responses: ReplayResponse[];
  /** How many requests this route has answered. */
  hits: number;
}

export interface RecordedRequest {
  url: string;
  pathname: string;
  params: URLSearchParams;
  headers: IncomingHttpHeaders;
  userAgent: string | undefined;
  /** performance.now() when the request arrived, and when its response finished or was cut. */
  startedAt: number;
  endedAt: number | null;
  /** Name of the route that answered, or null (404). */
  route: string | null;
}

function matches(m: QueryMatcher, params: URLSearchParams, pathname: string): boolean {
  if (typeof m === 'function') return m(params, pathname);
  return Object.entries(m).every(([k, want]) => {
    const got = params.get(k);
    if (want === null) return got === null;
    if (got === null) return false;
    return typeof want === 'string' ? got === want : want.test(got);
  });
}

export class ReplayServer {
  readonly requests: RecordedRequest[] = [];
  readonly routes: ReplayRoute[] = [];
  /** The most requests ever in flight at the same time. */
  maxConcurrent = 0;
  private inFlight = 0;
  /** Bumped by reset(): requests of an earlier test no longer count as in flight. */
  private generation = 0;
  private readonly sockets = new Set<Socket>();
  /** Responses not finished yet. */
  private readonly open = new Set<ServerResponse>();

  private constructor(private readonly server: Server, readonly url: string) {}

  /** Starts a server on 127.0.0.1 on a free port. */
  static async start(): Promise<ReplayServer> {
    let self: ReplayServer | null = null;
    const server = createServer((req, res) => self!.handle(req.url ?? '/', req.headers, res));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    self = new ReplayServer(server, `http://127.0.0.1:${port}`);
    server.on('connection', (s) => {
      self!.sockets.add(s);
      s.on('close', () => self!.sockets.delete(s));
    });
    return self;
  }

  /** Base URL of the query API on this server. */
  get apiUrl(): string {
    return `${this.url}/api/query`;
  }

  /** Base URL of the OAI-PMH endpoint on this server. */
  get oaiUrl(): string {
    return `${this.url}/oai`;
  }

  /** Adds a route; earlier routes win. Returns it so a test can read `hits`. */
  route(name: string, match: QueryMatcher, responses: ReplayResponse | ReplayResponse[], opts: { path?: string } = {}): ReplayRoute {
    const r: ReplayRoute = { name, match, path: opts.path, responses: Array.isArray(responses) ? responses : [responses], hits: 0 };
    if (r.responses.length === 0) throw new Error(`route ${name} has no responses`);
    this.routes.push(r);
    return r;
  }

  /**
   * Forgets routes, requests and the concurrency high-water mark, and cuts connections still busy with a
   * response of an earlier test (one held back by delayMs), so they cannot count as in flight now.
   * Idle keep-alive connections are left alone.
   */
  reset(): void {
    this.routes.length = 0;
    this.requests.length = 0;
    this.maxConcurrent = 0;
    this.inFlight = 0;
    this.generation++;
    for (const res of this.open) res.socket?.destroy();
    this.open.clear();
  }

  /** Requests no route answered. */
  get unmatched(): RecordedRequest[] {
    return this.requests.filter((r) => r.route === null);
  }

  /** Smallest pause between the end of one request and the arrival of the next, in ms (Infinity if < 2). */
  minGapMs(): number {
    let min = Infinity;
    for (let i = 1; i < this.requests.length; i++) {
      const prevEnd = this.requests[i - 1].endedAt ?? this.requests[i - 1].startedAt;
      min = Math.min(min, this.requests[i].startedAt - prevEnd);
    }
    return min;
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private handle(rawUrl: string, headers: IncomingHttpHeaders, res: ServerResponse): void {
    const u = new URL(rawUrl, this.url);
    const rec: RecordedRequest = {
      url: rawUrl,
      pathname: u.pathname,
      params: u.searchParams,
      headers,
      userAgent: headers['user-agent'],
      startedAt: performance.now(),
      endedAt: null,
      route: null,
    };
    this.requests.push(rec);
    this.inFlight++;
    this.maxConcurrent = Math.max(this.maxConcurrent, this.inFlight);
    const generation = this.generation;
    this.open.add(res);
    let done = false;
    const finish = () => {
      if (done) return;
      done = true;
      this.open.delete(res);
      rec.endedAt = performance.now();
      if (generation === this.generation) this.inFlight--;
    };
    res.on('finish', finish);
    res.on('close', finish);

    const route = this.routes.find((r) => (!r.path || r.path === u.pathname) && matches(r.match, u.searchParams, u.pathname));
    if (!route) {
      res.writeHead(404, { 'content-type': 'text/plain' });
      res.end(`no replay route for ${rawUrl}`);
      return;
    }
    rec.route = route.name;
    const spec = route.responses[Math.min(route.hits, route.responses.length - 1)];
    route.hits++;
    const send = () => {
      const body = Buffer.from(spec.body ?? '', 'utf8');
      const hdrs: Record<string, string> = {
        'content-type': 'application/atom+xml; charset=utf-8',
        ...spec.headers,
        'content-length': String(body.length),
      };
      res.writeHead(spec.status ?? 200, hdrs);
      if (spec.truncateAt !== undefined) {
        // Announce the whole length, send part of it, then cut the connection.
        res.flushHeaders();
        res.write(body.subarray(0, Math.min(spec.truncateAt, body.length - 1)), () => {
          setTimeout(() => res.socket?.destroy(), 20);
        });
        return;
      }
      res.end(body);
    };
    if (spec.delayMs) {
      setTimeout(() => {
        if (!res.destroyed && generation === this.generation) send();
      }, spec.delayMs);
    } else {
      send();
    }
  }
}

/** `times` answers of 503 with Retry-After, then `then`. */
export function unavailableThen(times: number, retryAfter: string, then: ReplayResponse): ReplayResponse[] {
  const busy: ReplayResponse = {
    status: 503,
    headers: { 'retry-after': retryAfter, 'content-type': 'text/plain' },
    body: 'Service Unavailable: retry later',
  };
  return [...Array.from({ length: times }, () => busy), then];
}

/** A recorded arXiv API response from ../shared/fixtures/arxiv-api/recorded/*.json. */
export interface RecordedFixture {
  file: string;
  url: string;
  status: number;
  body: string;
  params: URLSearchParams;
}

// Parameters whose value here is arXiv's default: a request that leaves them out asks for the same thing.
const DEFAULT_PARAMS: Record<string, string> = { sortBy: 'relevance', sortOrder: 'descending' };

/** The parameters that make two API requests the same request: empty values and defaults dropped, sorted. */
export function significantParams(params: URLSearchParams): string {
  const kept: [string, string][] = [];
  for (const [k, v] of params) {
    if (v === '' || DEFAULT_PARAMS[k] === v) continue;
    kept.push([k, v]);
  }
  kept.sort(([a], [b]) => a.localeCompare(b));
  return new URLSearchParams(kept).toString();
}

export function loadRecordedFixtures(dir: string): RecordedFixture[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => {
      const raw = JSON.parse(readFileSync(path.join(dir, f), 'utf8')) as { url: string; status_code: number; body: string };
      return { file: f, url: raw.url, status: raw.status_code, body: raw.body, params: new URL(raw.url).searchParams };
    });
}

/**
 * Adds one route per recorded response, keyed by its recorded query string: a request matches when its
 * significant parameters (search_query, id_list, start, max_results, non-default sort) are the same.
 */
export function addRecordedRoutes(server: ReplayServer, fixtures: RecordedFixture[]): ReplayRoute[] {
  return fixtures.map((fx) => {
    const key = significantParams(fx.params);
    return server.route(fx.file, (params) => significantParams(params) === key, { status: fx.status, body: fx.body }, { path: '/api/query' });
  });
}

/** A port on 127.0.0.1 that nothing listens on (it was free a moment ago). */
export async function closedPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  const { port } = s.address() as AddressInfo;
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return port;
}
