// What a member may call themselves, and where a sign-in may send them afterwards. Pure.

export type Role = 'user' | 'moderator' | 'admin';
export const ROLES: readonly Role[] = ['user', 'moderator', 'admin'];

/** Same rule as the users_username_format constraint (0002_votes.sql). */
const USERNAME_RE = /^[a-z0-9_-]{2,40}$/;

/** Names that would be confusing next to the site's own pages and staff. */
const RESERVED = new Set([
  'admin', 'administrator', 'moderator', 'mod', 'paperpulse', 'root', 'system', 'staff', 'support', 'help',
  'api', 'settings', 'signin', 'signout', 'signup', 'login', 'logout', 'submit', 'users', 'papers', 'feeds',
  'anonymous', 'null', 'undefined', 'me', 'new',
  'arxiv', // the pseudo-user that submits arXiv's own listing in the Hugging Face API (api/hf-shape.ts)
]);

export type Checked<T> = { ok: true; value: T } | { ok: false; error: string };

// C0/C1 controls, bidi overrides and isolates, zero-width characters, the BOM, and U+FFFD (what bad
// UTF-8 decodes to): none of them belongs in a name shown to other people.
// eslint-disable-next-line no-control-regex
const INVISIBLE_RE = /[\u0000-\u001f\u007f-\u009f\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff\ufffd]/;

export function checkUsername(input: unknown): Checked<string> {
  if (typeof input !== 'string' || input.trim() === '') return { ok: false, error: 'Choose a username.' };
  const name = input.trim().toLowerCase();
  if (!USERNAME_RE.test(name)) {
    return { ok: false, error: 'A username has 2 to 40 characters: lowercase letters a-z, digits, “_” and “-”.' };
  }
  if (RESERVED.has(name)) return { ok: false, error: `“${name}” is reserved; choose another username.` };
  return { ok: true, value: name };
}

/** Display names: any script, 1-100 characters after trimming, nothing invisible; empty means none. */
export function checkDisplayName(input: unknown): Checked<string | null> {
  if (input === undefined || input === null) return { ok: true, value: null };
  if (typeof input !== 'string') return { ok: false, error: 'The display name is not text.' };
  const name = input.normalize('NFC').replace(/\s+/g, ' ').trim();
  if (name === '') return { ok: true, value: null };
  if (INVISIBLE_RE.test(input)) return { ok: false, error: 'The display name contains invisible or control characters; type it again.' };
  if ([...name].length > 100) return { ok: false, error: 'The display name is too long (at most 100 characters).' };
  return { ok: true, value: name };
}

/** Short free text (a bio, a note): trimmed, at most `max` characters, line breaks kept. */
export function checkShortText(input: unknown, max: number, what: string): Checked<string | null> {
  if (input === undefined || input === null) return { ok: true, value: null };
  if (typeof input !== 'string') return { ok: false, error: `The ${what} is not text.` };
  const text = input.normalize('NFC').replace(/\r\n?/g, '\n').trim();
  if (text === '') return { ok: true, value: null };
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u0008\u000b-\u001f\u007f\ufffd]/.test(text)) {
    return { ok: false, error: `The ${what} contains control characters or text that is not valid UTF-8.` };
  }
  if ([...text].length > max) return { ok: false, error: `The ${what} is too long (at most ${max} characters).` };
  return { ok: true, value: text };
}

/**
 * A local path to go to after signing in, or '/' when the given one is unsafe: it must start with one
 * "/", not "//" or "/\" (which browsers read as another host), and hold no control characters or
 * backslashes. This is what keeps sign-in from being an open redirect.
 */
export function safeNextPath(input: unknown): string {
  if (typeof input !== 'string' || input.length === 0 || input.length > 500) return '/';
  if (!input.startsWith('/') || input.startsWith('//') || input.includes('\\')) return '/';
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f\s]/.test(input)) return '/';
  // Sign-in pages themselves are not a destination.
  if (/^\/(signin|signup|signout)(\/|$|\?)/.test(input)) return '/';
  return input;
}
