// The stylesheet (and favicon) of the pages. The stylesheet is read once per process and served under a
// URL carrying a hash of its content, so browsers may keep it for a year: a changed file gets a new URL,
// and the pages that name it change their ETag with it. /assets/app.css (no hash) is there for people
// and tools; it is revalidated on every use.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { etagMatches } from './page-cache.ts';

const CSS_FILE = new URL('./assets/app.css', import.meta.url);
export const FAVICON_PATH = '/assets/favicon.svg';
const YEAR_S = 365 * 24 * 3600;

interface Asset {
  body: Buffer;
  etag: string;
  hash: string;
}

function load(body: Buffer): Asset {
  const digest = createHash('sha256').update(body).digest('base64url');
  return { body, etag: `"${digest.slice(0, 27)}"`, hash: digest.slice(0, 12).replace(/[-_]/g, 'x') };
}

let stylesheet: Asset | null = null;
function css(): Asset {
  stylesheet ??= load(readFileSync(CSS_FILE));
  return stylesheet;
}

// A page icon drawn with text, so there is no binary file to ship: a rounded square with a "p".
const favicon = load(
  Buffer.from(
    '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32"><rect width="32" height="32" rx="7" fill="#1d4ed8"/>' +
      '<path d="M11 26V8h7a6 6 0 0 1 0 12h-3v6z M15 12v4h3a2 2 0 0 0 0-4z" fill="#fff" fill-rule="evenodd"/></svg>',
  ),
);

/** The URL pages use for the stylesheet: /assets/app.<hash>.css. */
export function stylesheetHref(): string {
  return `/assets/app.${css().hash}.css`;
}

const assetSchema = {
  hide: true,
  headers: { type: 'object', properties: { 'if-none-match': { type: 'string' } } },
} as const;

export async function registerAssetRoutes(app: FastifyInstance): Promise<void> {
  const sheet = css();
  const serve = (asset: Asset, type: string, cacheControl: string) =>
    async (req: FastifyRequest, reply: FastifyReply) => {
      reply.header('ETag', asset.etag).header('Cache-Control', cacheControl).header('X-Content-Type-Options', 'nosniff');
      if (etagMatches(req.headers['if-none-match'], asset.etag)) return reply.code(304).send();
      return reply.type(type).send(asset.body);
    };
  app.get(stylesheetHref(), { schema: { ...assetSchema, summary: 'The pages\' stylesheet (content-hashed URL)' } },
    serve(sheet, 'text/css; charset=utf-8', `public, max-age=${YEAR_S}, immutable`));
  app.get('/assets/app.css', { schema: { ...assetSchema, summary: 'The pages\' stylesheet' } },
    serve(sheet, 'text/css; charset=utf-8', 'no-cache'));
  app.get(FAVICON_PATH, { schema: { ...assetSchema, summary: 'The site icon' } },
    serve(favicon, 'image/svg+xml', 'public, max-age=86400'));
}
