// Password hashing with scrypt (node:crypto), stored as one self-describing string:
//   scrypt$<log2 N>$<r>$<p>$<salt, base64url>$<hash, base64url>
// so the cost can be raised later without invalidating stored hashes (verify reads the parameters from
// the string; needsRehash says when to upgrade at the next sign-in). Passwords are never logged.
import { randomBytes, scrypt as scryptCb, timingSafeEqual, type ScryptOptions } from 'node:crypto';

const scrypt = (password: string, salt: Buffer, keylen: number, opts: ScryptOptions) =>
  new Promise<Buffer>((resolve, reject) =>
    scryptCb(password, salt, keylen, opts, (err, key) => (err ? reject(err) : resolve(key))),
  );

export const PASSWORD_MIN_LENGTH = 10;
export const PASSWORD_MAX_LENGTH = 200;

/** Cost of new hashes: N = 2^15, r = 8, p = 1 (32 MiB, about 50-100 ms on one core). */
const COST = { logN: 15, r: 8, p: 1 };
const KEY_LENGTH = 32;

/** Whether a password can be set; the error is for the person choosing it. */
export function checkNewPassword(password: unknown): { ok: true; password: string } | { ok: false; error: string } {
  if (typeof password !== 'string' || password.length === 0) return { ok: false, error: 'Enter a password.' };
  if (password.length < PASSWORD_MIN_LENGTH) return { ok: false, error: `Use at least ${PASSWORD_MIN_LENGTH} characters.` };
  if (password.length > PASSWORD_MAX_LENGTH) return { ok: false, error: `Use at most ${PASSWORD_MAX_LENGTH} characters.` };
  return { ok: true, password };
}

export async function hashPassword(password: string, cost = COST): Promise<string> {
  const salt = randomBytes(16);
  const N = 2 ** cost.logN;
  const key = await scrypt(password.normalize('NFC'), salt, KEY_LENGTH, { N, r: cost.r, p: cost.p, maxmem: 256 * N * cost.r });
  return `scrypt$${cost.logN}$${cost.r}$${cost.p}$${salt.toString('base64url')}$${key.toString('base64url')}`;
}

const FORMAT = /^scrypt\$(\d{1,2})\$(\d{1,2})\$(\d{1,2})\$([A-Za-z0-9_-]{16,64})\$([A-Za-z0-9_-]{16,128})$/;

/** Whether password matches the stored hash; false for a malformed hash. Constant time in the comparison. */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const m = FORMAT.exec(stored);
  if (!m || password.length > PASSWORD_MAX_LENGTH) return false;
  const [logN, r, p] = [Number(m[1]), Number(m[2]), Number(m[3])];
  if (logN < 10 || logN > 20 || r < 1 || r > 32 || p < 1 || p > 16) return false;
  const expected = Buffer.from(m[5], 'base64url');
  const N = 2 ** logN;
  const key = await scrypt(password.normalize('NFC'), Buffer.from(m[4], 'base64url'), expected.length, { N, r, p, maxmem: 256 * N * r });
  return timingSafeEqual(key, expected);
}

/** A hash to verify against when there is no user, so both answers take the same time. */
let dummyHash: Promise<string> | null = null;
export function dummyPasswordHash(): Promise<string> {
  dummyHash ??= hashPassword(randomBytes(16).toString('hex'));
  return dummyHash;
}
