// Search-as-you-type: GET /api/v1/suggest?q=... answers up to 8 titles whose words begin with the words typed
// (src/search/search-index.ts TitleSuggester over the in-process search index), for the header search box's
// suggestions (src/http/assets/suggest.ts). Part of the /api/v1 document (tag Search); registered by app.ts
// after the API so that @fastify/swagger sees it. Errors have the API's one JSON shape.
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Context } from '../../context.ts';
import { paperPagePath } from '../../api/paths.ts';
import { ref } from '../../api/v1-shape.ts';
import { suggestTitles, MAX_SUGGESTIONS } from '../../search/search.service.ts';
import { addConditionalGets, Validators } from '../api/conditional.ts';
import { httpError, sendError } from '../api/http-errors.ts';

export const SUGGEST_PATH = '/api/v1/suggest';
/** Longer text is refused (400): the search box takes 300 characters. */
const MAX_TYPED = 1000;
/** Suggestions change only when papers do; browsers may reuse an answer while the reader types back and forth. */
const CACHE_CONTROL = 'public, max-age=60';

interface SuggestQuery {
  q: string;
  limit: number;
}

export async function registerSuggestRoutes(app: FastifyInstance, ctx: Context): Promise<void> {
  const base = ctx.config.publicUrl;
  await app.register(async (scope) => {
    scope.setErrorHandler((err: FastifyError, req: FastifyRequest, reply: FastifyReply) => {
      const appError = httpError(err);
      if (appError.status >= 500) req.log.error({ err, url: req.url }, 'suggest request failed');
      return sendError(reply, appError);
    });
    addConditionalGets(scope, { cacheControl: CACHE_CONTROL, validators: new Validators(2000) });
    scope.get(
      SUGGEST_PATH,
      {
        schema: {
          tags: ['Search'],
          summary: 'Title suggestions while typing',
          description:
            'Up to `limit` papers (default 8) whose title has a word beginning with each word typed, in any order (case, accents and punctuation ignored): titles that start with the text first, then titles holding its words in a row, newer papers first. Empty text gives an empty list. For search-as-you-type; /api/v1/search ranks full searches.',
          querystring: {
            type: 'object',
            properties: {
              q: { type: 'string', maxLength: MAX_TYPED, default: '', examples: ['llama 3 her'] },
              limit: { type: 'integer', minimum: 1, maximum: MAX_SUGGESTIONS, default: 8 },
            },
          },
          response: {
            200: {
              type: 'object',
              required: ['query', 'suggestions'],
              properties: {
                query: { type: 'string', description: 'The text the suggestions are for' },
                suggestions: {
                  type: 'array',
                  items: {
                    type: 'object',
                    required: ['id', 'title', 'url'],
                    properties: {
                      id: { type: 'string', description: 'arXiv identifier' },
                      title: { type: 'string' },
                      url: { type: 'string', format: 'uri', description: "The paper's page on this site" },
                    },
                  },
                },
              },
            },
            400: { description: 'A parameter is invalid; the error names it', ...ref('ApiError') },
          },
        },
      },
      async (req: FastifyRequest<{ Querystring: SuggestQuery }>) => {
        const q = req.query.q;
        const found = await suggestTitles(ctx.db, q, req.query.limit);
        return { query: q, suggestions: found.map((s) => ({ id: s.id, title: s.title, url: base + paperPagePath(s.id) })) };
      },
    );
  });
}
