// Serves the pages' progressive-enhancement script. src/http/assets/app.ts is bundled with esbuild once
// per process, in memory, when the app is built: there is no build step, `npm ci && npm start` is the
// whole set-up. The bundle is served at one stable URL with a strong ETag, so a browser revalidates it
// after max-age and gets a 304 while the server runs the same code.
import { createHash } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import type { FastifyInstance } from 'fastify';

export const CLIENT_SCRIPT_PATH = '/assets/app.js';

const ENTRY = fileURLToPath(new URL('../assets/app.ts', import.meta.url));

/** Seconds a browser may use its copy without asking (short: the URL carries no content hash). */
const MAX_AGE_S = 300;

export interface ClientScript {
  /** The minified bundle. */
  code: Buffer;
  /** Size of the minified bundle in bytes (what the feed page's JavaScript budget counts). */
  bytes: number;
  /** Strong ETag: a quoted hash of the content. */
  etag: string;
}

// The bundle depends only on the source files, so every app built in one process (tests build many)
// shares one build instead of paying ~50 ms each.
let pending: Promise<ClientScript> | null = null;

/** Bundles app.ts (once per process) and returns the result. */
export function clientScript(): Promise<ClientScript> {
  pending ??= bundle().catch((err: unknown) => {
    pending = null; // let a later call retry instead of caching the failure
    throw err;
  });
  return pending;
}

async function bundle(): Promise<ClientScript> {
  const result = await build({
    entryPoints: [ENTRY],
    bundle: true,
    minify: true,
    target: 'es2020',
    format: 'iife',
    platform: 'browser',
    legalComments: 'none',
    write: false,
    logLevel: 'silent',
  });
  const file = result.outputFiles[0];
  if (!file) throw new Error(`esbuild produced no output for ${ENTRY}`);
  const code = Buffer.from(file.contents);
  const etag = `"${createHash('sha256').update(code).digest('base64url').slice(0, 27)}"`;
  return { code, bytes: code.length, etag };
}

/** The URL pages put in `<script src=... defer>`. */
export function clientScriptUrl(): string {
  return CLIENT_SCRIPT_PATH;
}

/** Minified size of the client script in bytes. */
export async function clientScriptBytes(): Promise<number> {
  return (await clientScript()).bytes;
}

/** True when an If-None-Match header lists this ETag (or is `*`). Weak comparison, as RFC 9110 asks. */
function matchesEtag(header: string | undefined, etag: string): boolean {
  if (!header) return false;
  return header.split(',').some((tag) => {
    const t = tag.trim();
    return t === '*' || t.replace(/^W\//, '') === etag;
  });
}

/** Bundles the client script and serves it at GET /assets/app.js (HEAD too). */
export async function registerClientAsset(app: FastifyInstance): Promise<void> {
  let script: ClientScript;
  try {
    script = await clientScript();
  } catch (err) {
    throw new Error(`cannot bundle the client script ${ENTRY}: ${(err as Error).message}`, { cause: err });
  }
  app.get(
    CLIENT_SCRIPT_PATH,
    {
      schema: {
        summary: 'The pages\' progressive-enhancement script (minified JavaScript)',
        hide: true,
        headers: {
          type: 'object',
          properties: { 'if-none-match': { type: 'string' } },
        },
        response: {
          200: { description: 'The script', type: 'string' },
          304: { description: 'Not modified since the copy named by If-None-Match', type: 'null' },
        },
      },
    },
    async (req, reply) => {
      reply
        .header('ETag', script.etag)
        .header('Cache-Control', `public, max-age=${MAX_AGE_S}`)
        .header('X-Content-Type-Options', 'nosniff');
      if (matchesEtag(req.headers['if-none-match'], script.etag)) return reply.code(304).send();
      return reply.type('text/javascript; charset=utf-8').send(script.code);
    },
  );
}
