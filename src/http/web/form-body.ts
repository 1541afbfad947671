// The body parser of the site's forms (application/x-www-form-urlencoded), strict about text: bytes
// that are not UTF-8, raw or percent-encoded, are refused with a 400 that says so, instead of being
// turned silently into U+FFFD or kept as literal "%FF" text. Repeated fields become arrays, as browsers
// send them for checkbox groups. Register inside the plugin scope of the routes that take forms.
import { isUtf8 } from 'node:buffer';
import type { FastifyInstance } from 'fastify';

export class FormEncodingError extends Error {
  readonly statusCode = 400;
  constructor() {
    super('The form sent text that is not valid UTF-8. Type it again, or paste it as plain text.');
    this.name = 'FormEncodingError';
  }
}

/** Parses a urlencoded body; throws FormEncodingError for bytes that are not UTF-8. */
export function parseFormBody(body: Buffer): Record<string, string | string[]> {
  if (!isUtf8(body)) throw new FormEncodingError();
  const out: Record<string, string | string[]> = Object.create(null);
  const text = body.toString('utf8');
  if (text === '') return out;
  for (const part of text.split('&')) {
    if (part === '') continue;
    const eq = part.indexOf('=');
    const [k, v] = eq === -1 ? [part, ''] : [part.slice(0, eq), part.slice(eq + 1)];
    let key: string;
    let value: string;
    try {
      key = decodeURIComponent(k.replace(/\+/g, ' '));
      value = decodeURIComponent(v.replace(/\+/g, ' '));
    } catch {
      throw new FormEncodingError();
    }
    const prev = out[key];
    out[key] = prev === undefined ? value : Array.isArray(prev) ? [...prev, value] : [prev, value];
  }
  return out;
}

export function registerFormBody(app: FastifyInstance, bodyLimit = 64 * 1024): void {
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'buffer', bodyLimit }, (_req, body, done) => {
    try {
      done(null, parseFormBody(body as Buffer));
    } catch (err) {
      done(err as Error, undefined);
    }
  });
}
