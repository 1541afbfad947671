// Random secrets handed to people (session cookies, sign-in links, API tokens) and the hashes stored in
// their place. A secret has 256 random bits, so one unsalted SHA-256 is enough to store it: nobody can
// guess a preimage, and looking it up by hash is one index probe. Pure apart from the random source.
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/** A new random secret: 32 bytes, base64url (43 characters), with an optional readable prefix. */
export function newSecret(prefix = ''): string {
  return `${prefix}${randomBytes(32).toString('base64url')}`;
}

/** What the database stores for a secret: its SHA-256, hex. */
export function hashSecret(secret: string): string {
  return createHash('sha256').update(secret, 'utf8').digest('hex');
}

/** Whether a string has the shape of a secret made by newSecret(prefix) (checked before any lookup). */
export function looksLikeSecret(value: unknown, prefix = ''): value is string {
  if (typeof value !== 'string' || value.length !== prefix.length + 43 || !value.startsWith(prefix)) return false;
  return /^[A-Za-z0-9_-]{43}$/.test(value.slice(prefix.length));
}

/** A keyed digest of parts (HMAC-SHA256, base64url, `bytes` long before encoding). */
export function keyedDigest(key: string, parts: string[], bytes = 18): string {
  return createHmac('sha256', key).update(parts.join('\0')).digest().subarray(0, bytes).toString('base64url');
}

/** Constant-time comparison of two strings. */
export function sameString(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}
