// Both APIs answer a paper by id at /papers/{id} and, for old-style identifiers that contain a slash
// (hep-th/9901001), at /papers/{archive}/{number}. One helper registers the pair with the same schema.
import type { FastifyInstance, FastifyRequest } from 'fastify';

export interface PaperIdRouteOptions {
  tags: string[];
  summary: string;
  description: string;
  response: Record<string, unknown>;
  handler: (id: string) => unknown;
}

export function registerPaperIdRoutes(api: FastifyInstance, opts: PaperIdRouteOptions): void {
  api.get(
    '/papers/:id',
    {
      schema: {
        tags: opts.tags,
        summary: opts.summary,
        description: opts.description,
        params: { type: 'object', required: ['id'], properties: { id: { type: 'string', maxLength: 300, examples: ['2407.21783'] } } },
        response: opts.response,
      },
    },
    (req: FastifyRequest<{ Params: { id: string } }>) => opts.handler(req.params.id),
  );
  api.get(
    '/papers/:archive/:number',
    {
      schema: {
        tags: opts.tags,
        summary: `${opts.summary}, old-style identifier (hep-th/9901001)`,
        params: {
          type: 'object',
          required: ['archive', 'number'],
          properties: { archive: { type: 'string', maxLength: 100 }, number: { type: 'string', maxLength: 100 } },
        },
        response: opts.response,
      },
    },
    (req: FastifyRequest<{ Params: { archive: string; number: string } }>) =>
      opts.handler(`${req.params.archive}/${req.params.number}`),
  );
}
