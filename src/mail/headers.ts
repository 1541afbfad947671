// Header safety. A header value that contains CR or LF could end the header and start another one
// ("Subject: hi\r\nBcc: everyone"). Text that becomes a header (subjects built from paper titles) is
// flattened with headerText(); the mailer then refuses any value that still carries a line break or a
// control character, so nothing that reaches a header can add one. Pure.

export class HeaderInjectionError extends Error {
  constructor(readonly header: string) {
    super(`refusing to send: the ${header} header contains a line break or a control character`);
    this.name = 'HeaderInjectionError';
  }
}

// CR, LF and every other C0 control but TAB, DEL, and the Unicode line/paragraph separators.
// eslint-disable-next-line no-control-regex
const UNSAFE_RE = /[\u0000-\u0008\u000a-\u001f\u007f\u0085\u2028\u2029]/;
// eslint-disable-next-line no-control-regex
const UNSAFE_RUN_RE = /[\s\u0000-\u001f\u007f\u0085\u2028\u2029]+/g;
/** A header field name: printable ASCII except the colon (RFC 5322 2.2). */
const NAME_RE = /^[!-9;-~]+$/;

/** Text for a header: every run of whitespace or control characters becomes one space; trimmed. */
export function headerText(text: string, maxLength = 200): string {
  const flat = text.replace(UNSAFE_RUN_RE, ' ').trim();
  if (flat.length <= maxLength) return flat;
  const cut = flat.slice(0, maxLength - 1);
  const space = cut.lastIndexOf(' ');
  return `${(space > maxLength * 0.6 ? cut.slice(0, space) : cut).replace(/[\s,;:.\-–—(]+$/u, '')}…`;
}

/** Throws HeaderInjectionError unless the value is safe to put in the named header. */
export function assertHeaderValue(name: string, value: string): void {
  if (typeof value !== 'string' || UNSAFE_RE.test(value)) throw new HeaderInjectionError(name);
}

/** Throws unless the name is a valid header field name. */
export function assertHeaderName(name: string): void {
  if (!NAME_RE.test(name)) throw new HeaderInjectionError(JSON.stringify(name).slice(0, 60));
}
