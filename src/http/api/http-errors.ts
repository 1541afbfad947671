// Fastify errors as the one error shape of the API and the feeds: { error: { code, message, parameter? } }.
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { AppError, errorBody, invalidParameter, isErrorCode, toAppError } from '../../errors.ts';

/** A schema validation failure as INVALID_PARAMETER naming the parameter (the first failure: Ajv stops there). */
function fromValidation(err: FastifyError): AppError {
  const first = err.validation?.[0];
  const params = (first?.params ?? {}) as { missingProperty?: string; additionalProperty?: string };
  const name =
    first?.instancePath?.replace(/^\//, '').replace(/\//g, '.') || params.missingProperty || params.additionalProperty || 'request';
  const where = err.validationContext === 'params' ? 'path parameter' : 'parameter';
  return invalidParameter(name, `Invalid ${where} ${name}: ${first?.message ?? err.message}.`);
}

export function httpError(err: unknown): AppError {
  const e = err as FastifyError;
  if (e?.validation) return fromValidation(e);
  if (err instanceof AppError || isErrorCode((err as { code?: unknown })?.code)) return toAppError(err);
  // Fastify's own client errors (a malformed URL, a body where none belongs).
  if (typeof e?.statusCode === 'number' && e.statusCode >= 400 && e.statusCode < 500) {
    return e.statusCode === 404 ? new AppError('NOT_FOUND', e.message) : invalidParameter('request', e.message);
  }
  return toAppError(err);
}

export function sendError(reply: FastifyReply, err: AppError): FastifyReply {
  return reply
    .code(err.status)
    .header('Content-Type', 'application/json; charset=utf-8')
    .header('Cache-Control', 'no-store')
    .send(errorBody(err));
}

/** Error and not-found handlers of an API or feed scope: JSON errors, server failures logged. */
export function useJsonErrors(scope: FastifyInstance): void {
  scope.setErrorHandler((err: FastifyError, req: FastifyRequest, reply: FastifyReply) => {
    const appError = httpError(err);
    if (appError.status >= 500) req.log.error({ err, url: req.url }, 'API request failed');
    return sendError(reply, appError);
  });
  scope.setNotFoundHandler((req, reply) =>
    sendError(reply, new AppError('NOT_FOUND', `No route ${req.method} ${req.url.split('?')[0]}.`)),
  );
}
