// Conditional GETs for the JSON API and the feeds: every 200 answer to a GET or HEAD carries a strong
// ETag (a hash of the exact bytes sent) and a Last-Modified date, and a request whose If-None-Match or
// If-Modified-Since says the client already has those bytes gets a 304 without a body.
//
// Last-Modified is the time this process first sent the current bytes for the address: the data has
// no trustworthy change time (a vote changes counts without touching papers.modified_at), so the date is
// learnt by watching the ETag change. It errs only towards sending the body again: after a restart, or
// from another process sharing the database, the date is later than the client's, never earlier. Two
// changes within one second would share a date, so a change in the same second as the previous one gets
// the next second, and until that second has come the answer has no Last-Modified (the ETag still works).
import { createHash } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { etagMatches } from '../web/page-cache.ts';

/** Remembers, per address, the ETag last sent and since when (whole seconds, in ms). A bounded LRU. */
export class Validators {
  private readonly entries = new Map<string, { etag: string; since: number }>();

  constructor(
    private readonly maxEntries = 5000,
    private readonly now: () => number = () => Date.now(),
  ) {}

  /** The Last-Modified time for these bytes at this address (ms, whole seconds), or null while it lies in the future. */
  lastModified(key: string, etag: string): number | null {
    const now = this.now();
    const second = Math.floor(now / 1000) * 1000;
    const seen = this.entries.get(key);
    let since: number;
    if (seen && seen.etag === etag) since = seen.since;
    else since = seen ? Math.max(second, seen.since + 1000) : second;
    this.entries.delete(key);
    this.entries.set(key, { etag, since });
    while (this.entries.size > this.maxEntries) this.entries.delete(this.entries.keys().next().value as string);
    return since <= now ? since : null;
  }
}

export function strongEtag(body: string | Buffer): string {
  return `"${createHash('sha1').update(body).digest('base64url')}"`;
}

/** Whether a request's validators show that the client holds the current representation (RFC 9110 13.2.2). */
export function notModified(req: FastifyRequest, etag: string, lastModified: number | null): boolean {
  const inm = req.headers['if-none-match'];
  if (inm !== undefined) return etagMatches(inm, etag);
  const ims = req.headers['if-modified-since'];
  if (ims === undefined || lastModified === null) return false;
  const since = Date.parse(ims);
  return Number.isFinite(since) && lastModified <= since;
}

export interface ConditionalOptions {
  /** Cache-Control of the 200 and 304 answers. */
  cacheControl: string;
  validators: Validators;
}

/**
 * Adds ETag, Last-Modified and Cache-Control to every 200 answer to GET/HEAD in this scope, and turns it
 * into a 304 when the client's validators match. Runs on the serialized bytes (onSend), so it covers JSON
 * serialized through route schemas and XML alike.
 */
export function addConditionalGets(scope: FastifyInstance, opts: ConditionalOptions): void {
  scope.addHook('onSend', async (req: FastifyRequest, reply: FastifyReply, payload: unknown) => {
    if ((req.method !== 'GET' && req.method !== 'HEAD') || reply.statusCode !== 200) return payload;
    if (typeof payload !== 'string' && !Buffer.isBuffer(payload)) return payload;
    const etag = strongEtag(payload);
    const lastModified = opts.validators.lastModified(req.url, etag);
    reply.header('ETag', etag).header('Cache-Control', opts.cacheControl);
    if (lastModified !== null) reply.header('Last-Modified', new Date(lastModified).toUTCString());
    if (notModified(req, etag, lastModified)) {
      reply.code(304);
      reply.removeHeader('Content-Type');
      reply.removeHeader('Content-Length');
      return '';
    }
    return payload;
  });
}

/** Paths whose GETs any web page may read (CORS): the APIs and the feeds. */
export const isPublicReadPath = (url: string) => url.startsWith('/api/') || url.startsWith('/feeds/');

const CORS_EXPOSED = 'ETag, Last-Modified, Link';
const CORS_METHODS = 'GET, HEAD, OPTIONS';

/**
 * CORS for reading: GET, HEAD and OPTIONS of /api/* and /feeds/* carry Access-Control-Allow-Origin: *
 * (a cookie-authorised answer cannot be read with *, so other sites read only what needs no cookie), and
 * preflights for GET and HEAD are answered. Writes (the vote API's POST and DELETE) get no CORS header
 * and their preflights are refused, so another site's page can never send them from a visitor's browser.
 */
export function addCors(app: FastifyInstance): void {
  app.addHook('onRequest', async (req, reply) => {
    if (!isPublicReadPath(req.url)) return;
    if (req.method !== 'GET' && req.method !== 'HEAD' && req.method !== 'OPTIONS') return;
    reply.header('Access-Control-Allow-Origin', '*').header('Access-Control-Expose-Headers', CORS_EXPOSED);
  });
  const preflight = async (req: FastifyRequest, reply: FastifyReply) => {
    const method = req.headers['access-control-request-method'];
    if (typeof method === 'string' && method !== 'GET' && method !== 'HEAD') {
      // No Access-Control-Allow-Origin (the hook above set one): the browser does not send the request.
      reply.removeHeader('Access-Control-Allow-Origin');
      reply.removeHeader('Access-Control-Expose-Headers');
      return reply.code(204).header('Allow', CORS_METHODS).send();
    }
    const asked = req.headers['access-control-request-headers'];
    return reply
      .code(204)
      .header('Access-Control-Allow-Origin', '*')
      .header('Access-Control-Allow-Methods', CORS_METHODS)
      .header('Access-Control-Allow-Headers', typeof asked === 'string' && asked.length < 1000 ? asked : 'If-None-Match, If-Modified-Since')
      .header('Access-Control-Max-Age', '86400')
      .header('Allow', CORS_METHODS)
      .send();
  };
  app.options('/api/*', { schema: { hide: true } }, preflight);
  app.options('/feeds/*', { schema: { hide: true } }, preflight);
}
