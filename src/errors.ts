// One registry of the error codes paperpulse's HTTP interfaces return, each mapped to its HTTP status.
// Every response error has the shape { error: { code, message, parameter? } }. docs/api.md documents every
// code (test/unit/errors.test.ts holds the two together). No HTTP framework here: the routes translate
// framework errors (validation, unknown routes) into AppErrors.

export interface ErrorSpec {
  status: number;
  /** One line for docs/api.md and the OpenAPI document: when the code is returned. */
  summary: string;
}

export const ERROR_CODES = {
  INVALID_PARAMETER: {
    status: 400,
    summary: 'A query or path parameter is malformed or out of range; `parameter` names it.',
  },
  NOT_FOUND: {
    status: 404,
    summary: 'There is no API route or feed at this address.',
  },
  PAPER_NOT_FOUND: {
    status: 404,
    summary: 'No paper with this arXiv identifier is in this paperpulse (or the text is not an arXiv identifier).',
  },
  AUTHOR_NOT_FOUND: {
    status: 404,
    summary: 'No paper in this paperpulse lists this author.',
  },
  USER_NOT_FOUND: {
    status: 404,
    summary: 'The user named does not exist.',
  },
  SIGN_IN_REQUIRED: {
    status: 401,
    summary: 'The request needs a member: send an API token as `Authorization: Bearer` (or a session cookie).',
  },
  INVALID_TOKEN: {
    status: 401,
    summary: 'The API token is malformed, revoked, or its account is disabled.',
  },
  CSRF_FAILED: {
    status: 403,
    summary: 'A request authorised by a session cookie came without its `X-CSRF-Token` header (or with a stale one).',
  },
  RATE_LIMITED: {
    status: 429,
    summary: 'Too many requests of this kind in a short time; `Retry-After` says how many seconds to wait.',
  },
  INTERNAL_ERROR: {
    status: 500,
    summary: 'The server failed; the error is logged. Try again in a moment.',
  },
} as const satisfies Record<string, ErrorSpec>;

export type ErrorCode = keyof typeof ERROR_CODES;

export function isErrorCode(code: unknown): code is ErrorCode {
  return typeof code === 'string' && Object.hasOwn(ERROR_CODES, code);
}

/** An error meant for the client: a registered code, a message a person can act on, and the parameter at fault. */
export class AppError extends Error {
  readonly status: number;
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly parameter?: string,
  ) {
    super(message);
    this.name = 'AppError';
    this.status = ERROR_CODES[code].status;
  }
}

export const invalidParameter = (parameter: string, message: string) =>
  new AppError('INVALID_PARAMETER', message, parameter);

export interface ErrorBody {
  error: { code: ErrorCode; message: string; parameter?: string };
}

export function errorBody(err: AppError): ErrorBody {
  return {
    error: { code: err.code, message: err.message, ...(err.parameter ? { parameter: err.parameter } : {}) },
  };
}

/**
 * Any thrown value as an AppError: AppErrors as they are, domain errors that carry a registered `code`
 * (e.g. PaperNotFoundError from the votes service) with their message, anything else as INTERNAL_ERROR
 * whose message hides the details (they go to the log).
 */
export function toAppError(err: unknown): AppError {
  if (err instanceof AppError) return err;
  if (err instanceof Error && isErrorCode((err as { code?: unknown }).code)) {
    return new AppError((err as unknown as { code: ErrorCode }).code, err.message);
  }
  return new AppError('INTERNAL_ERROR', 'The server could not answer this request. The error is logged.');
}
