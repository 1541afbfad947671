// The HTTP APIs: the Hugging Face-compatible papers API (/api/daily_papers, /api/papers/...), paperpulse's
// own API (/api/v1/...), the OpenAPI 3.1 document generated from the route schemas (/api/openapi.json)
// and a docs page rendered from it (/api/docs). Every route has explicit schemas: Fastify validates the
// parameters and serializes the answers through them, and @fastify/swagger documents them.
import swagger from '@fastify/swagger';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Context } from '../../context.ts';
import { ERROR_CODES } from '../../errors.ts';
import { HF_SCHEMAS } from '../../api/hf-schema.ts';
import { API_V1_SCHEMAS } from '../../api/v1-shape.ts';
import { addConditionalGets, addCors, Validators } from './conditional.ts';
import { renderDocsPage } from './docs-page.ts';
import { useJsonErrors } from './http-errors.ts';
import { registerHfRoutes } from './hf.routes.ts';
import { registerV1Routes } from './v1.routes.ts';

/** The JSON APIs ask clients to revalidate every time: answers change with every vote. */
const API_CACHE_CONTROL = 'no-cache';

const THEME_COOKIE_RE = /(?:^|;\s*)paperpulse-theme=(light|dark)(?:;|$)/;

export const OPENAPI_PATH = '/api/openapi.json';
export const DOCS_PATH = '/api/docs';

export async function registerApiRoutes(app: FastifyInstance, ctx: Context): Promise<void> {
  addCors(app);

  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'paperpulse API',
        version: '1.0.0',
        description: [
          "paperpulse's own API (/api/v1) and a Hugging Face-compatible papers API (/api/daily_papers, /api/papers/...), plus RSS and Atom feeds.",
          'Every GET answer carries an ETag and a Last-Modified date and honours If-None-Match / If-Modified-Since with 304.',
          'Any origin may read (Access-Control-Allow-Origin: *).',
          `Errors have one shape, {"error": {"code", "message", "parameter"?}}; codes: ${Object.keys(ERROR_CODES).join(', ')}.`,
        ].join(' '),
        license: { name: 'MIT', identifier: 'MIT' },
      },
      servers: [{ url: ctx.config.publicUrl }],
      components: {
        securitySchemes: {
          bearerAuth: { type: 'http', scheme: 'bearer', description: 'A personal API token (pp_...) created on the settings page' },
          sessionCookie: {
            type: 'apiKey',
            in: 'cookie',
            name: 'pp_session',
            description: "The site's session cookie (__Host-pp_session over HTTPS); POST and DELETE then need the X-CSRF-Token header",
          },
        },
      },
      tags: [
        { name: 'Papers', description: 'One paper' },
        { name: 'Feeds', description: 'The lists the site shows: a day, week or month, the latest day, trending, a category' },
        { name: 'Authors', description: "An author's papers" },
        { name: 'Search', description: 'Search over titles and abstracts' },
        { name: 'Your account', description: 'Your upvotes and voting, with an API token from /settings (Authorization: Bearer)' },
        { name: 'Hugging Face compatible', description: 'What the huggingface_hub client calls; point it here with HF_ENDPOINT' },
        { name: 'RSS and Atom feeds', description: 'Every list as RSS 2.0 (.xml) and Atom 1.0 (.atom)' },
      ],
    },
    // Shared schemas appear under components.schemas by their $id rather than as def-0, def-1, ...
    refResolver: { buildLocalReference: (json, _baseUri, _fragment, i) => (typeof json.$id === 'string' ? json.$id : `def-${i}`) },
  });
  for (const schema of [...API_V1_SCHEMAS, ...HF_SCHEMAS]) app.addSchema(schema);

  const validators = new Validators();
  await app.register(
    async (api) => {
      useJsonErrors(api);
      addConditionalGets(api, { cacheControl: API_CACHE_CONTROL, validators });
      await registerHfRoutes(api, ctx);
      await api.register(async (v1) => registerV1Routes(v1, ctx), { prefix: '/v1' });

      api.get('/openapi.json', { schema: { hide: true } }, async (_req, reply) =>
        reply.type('application/json; charset=utf-8').send(JSON.stringify(app.swagger())),
      );
      let docs: string | null = null;
      api.get('/docs', { schema: { hide: true } }, async (req: FastifyRequest, reply) => {
        const theme = (THEME_COOKIE_RE.exec(req.headers.cookie ?? '')?.[1] ?? null) as 'light' | 'dark' | null;
        // The page depends on the document (fixed once the app is ready) and the theme cookie.
        const body = theme === null ? (docs ??= renderDocsPage(app.swagger(), null)) : renderDocsPage(app.swagger(), theme);
        return reply.type('text/html; charset=utf-8').header('Vary', 'Cookie').send(body);
      });
    },
    { prefix: '/api' },
  );
}
