// Email addresses as paperpulse accepts them: one plain mailbox (no display name, no quoted local part,
// no IP literal), at most 254 characters, normalised to lowercase with an ASCII (IDNA) domain. Pure.
// The checks are deliberately stricter than RFC 5322: every address that passes is one an ordinary
// mail server accepts, and none can carry a second address, a comment or a line break into a header.
import { domainToASCII } from 'node:url';

export type AddressResult = { ok: true; address: string } | { ok: false; error: string };

/** The longest address SMTP allows in a path (RFC 5321 4.5.3.1.3). */
export const MAX_ADDRESS_LENGTH = 254;
const MAX_LOCAL_LENGTH = 64;
// dot-atom of RFC 5322 without the characters that mean something elsewhere (quotes, comments, commas).
const LOCAL_RE = /^[a-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[a-z0-9!#$%&'*+/=?^_`{|}~-]+)*$/;
const LABEL_RE = /^(?!-)[a-z0-9-]{1,63}(?<!-)$/;

/** Checks and normalises an address typed by a person; the error says what is wrong in plain words. */
export function parseEmailAddress(input: unknown): AddressResult {
  if (typeof input !== 'string' || input.trim() === '') {
    return { ok: false, error: 'Enter your email address, for example name@example.org.' };
  }
  if (/[\r\n]/.test(input)) return { ok: false, error: 'An email address cannot contain line breaks.' };
  const text = input.trim();
  if (text.length > MAX_ADDRESS_LENGTH) {
    return { ok: false, error: `That is too long for an email address (at most ${MAX_ADDRESS_LENGTH} characters).` };
  }
  // eslint-disable-next-line no-control-regex
  if (/[\s\u0000-\u001f\u007f<>(),;:"[\]\\]/.test(text)) {
    return { ok: false, error: 'An email address cannot contain spaces, quotes, brackets, commas or semicolons: enter just the address, like name@example.org.' };
  }
  const at = text.lastIndexOf('@');
  if (at < 0) return { ok: false, error: `“${text}” has no @: an email address looks like name@example.org.` };
  if (text.indexOf('@') !== at) return { ok: false, error: 'An email address has exactly one @.' };
  const local = text.slice(0, at).toLowerCase();
  const domainInput = text.slice(at + 1);
  if (!local) return { ok: false, error: 'The part before the @ is missing.' };
  if (local.length > MAX_LOCAL_LENGTH) {
    return { ok: false, error: `The part before the @ is too long (at most ${MAX_LOCAL_LENGTH} characters).` };
  }
  if (!LOCAL_RE.test(local)) {
    return { ok: false, error: 'The part before the @ can hold letters (a-z), digits, dots (not two in a row, nor at either end) and !#$%&\'*+/=?^_`{|}~- only.' };
  }
  if (!domainInput) return { ok: false, error: 'The domain after the @ is missing, as in name@example.org.' };
  // An internationalised domain is written in its ASCII (punycode) form; domainToASCII returns '' when invalid.
  const domain = domainToASCII(domainInput.toLowerCase());
  const labels = domain.split('.');
  if (!domain || labels.length < 2 || !labels.every((l) => LABEL_RE.test(l)) || /^\d+$/.test(labels[labels.length - 1])) {
    return { ok: false, error: `“${domainInput}” is not a mail domain: it needs a name and an ending, as in example.org.` };
  }
  const address = `${local}@${domain}`;
  if (address.length > MAX_ADDRESS_LENGTH) {
    return { ok: false, error: `That is too long for an email address (at most ${MAX_ADDRESS_LENGTH} characters).` };
  }
  return { ok: true, address };
}

/** True when the text is already a normalised address (what parseEmailAddress returns). */
export function isNormalizedAddress(text: string): boolean {
  const r = parseEmailAddress(text);
  return r.ok && r.address === text;
}
