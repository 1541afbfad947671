// Signed, expiring tokens for links that act without a password: confirm a subscription, open its
// preferences, unsubscribe (and, later, magic sign-in links). A token is
//   <purpose>.<subject>.<version>.<expiry, unix seconds in base 36>.<MAC>
// where MAC = the first 128 bits of HMAC-SHA256(SECRET_KEY, every field), base64url. Nothing is
// stored: the signature proves paperpulse issued it, the expiry bounds its life, and the version lets
// the owner of the subject revoke every token issued so far (bump it). Pure, apart from the clock passed in.
import { createHmac, timingSafeEqual } from 'node:crypto';

export interface TokenClaims {
  /** What the token allows: 'confirm', 'manage', 'unsubscribe', ... ([a-z-]+). */
  purpose: string;
  /** Whom it is for, e.g. a subscription id ([A-Za-z0-9_-]+). */
  subject: string;
  /** Revocation counter of the subject (tokens with another version are refused by the caller). */
  version: number;
  expiresAt: Date;
}

export type TokenCheck =
  | { ok: true; subject: string; version: number; expiresAt: Date }
  | { ok: false; reason: 'malformed' | 'signature' | 'purpose' | 'expired' };

const PURPOSE_RE = /^[a-z][a-z-]{0,31}$/;
const SUBJECT_RE = /^[A-Za-z0-9_-]{1,64}$/;
const MAC_BYTES = 16;
/** Domain separation: these MACs can never be confused with other HMACs made with the same key. */
const CONTEXT = 'paperpulse signed token v1';

function mac(secret: string, fields: string[]): Buffer {
  return createHmac('sha256', secret).update(`${CONTEXT}\0${fields.join('\0')}`).digest().subarray(0, MAC_BYTES);
}

export function signToken(secret: string, claims: TokenClaims): string {
  if (!PURPOSE_RE.test(claims.purpose)) throw new Error(`bad token purpose ${JSON.stringify(claims.purpose)}`);
  if (!SUBJECT_RE.test(claims.subject)) throw new Error(`bad token subject ${JSON.stringify(claims.subject)}`);
  if (!Number.isInteger(claims.version) || claims.version < 0) throw new Error('bad token version');
  const fields = [claims.purpose, claims.subject, String(claims.version), Math.floor(claims.expiresAt.getTime() / 1000).toString(36)];
  return `${fields.join('.')}.${mac(secret, fields).toString('base64url')}`;
}

/** Checks a token for the given purpose at `now`. The signature is compared in constant time. */
export function verifyToken(secret: string, token: unknown, purpose: string, now: Date): TokenCheck {
  if (typeof token !== 'string' || token.length > 200) return { ok: false, reason: 'malformed' };
  const parts = token.split('.');
  if (parts.length !== 5) return { ok: false, reason: 'malformed' };
  const [p, subject, version, exp, given] = parts;
  if (!PURPOSE_RE.test(p) || !SUBJECT_RE.test(subject) || !/^\d{1,9}$/.test(version) || !/^[0-9a-z]{1,10}$/.test(exp)) {
    return { ok: false, reason: 'malformed' };
  }
  const expected = mac(secret, [p, subject, version, exp]);
  const got = Buffer.from(given, 'base64url');
  if (got.length !== expected.length || !timingSafeEqual(got, expected)) return { ok: false, reason: 'signature' };
  if (p !== purpose) return { ok: false, reason: 'purpose' };
  const expiresAt = new Date(parseInt(exp, 36) * 1000);
  if (expiresAt.getTime() <= now.getTime()) return { ok: false, reason: 'expired' };
  return { ok: true, subject, version: Number(version), expiresAt };
}
