// Accounts: sign-in links, sessions, passwords, profiles and API tokens. No HTTP here: the web layer
// (src/http/web/auth.ts, account.routes.ts) turns these results into cookies, pages and redirects.
//
// Sign-in by email: requestSignInLink stores a one-time link (its hash), and puts the message into the
// mail outbox in the same transaction. The link is valid LINK_TTL_MINUTES and works once: completeSignIn
// marks it used in the statement that checks it, inside the transaction that creates the session (and
// the account, for a new address), so a replay or a race of two clicks signs in at most once.
// Sessions: the cookie holds a random secret; the database holds its hash. Every sign-in creates a new
// session (rotation: a session id planted before sign-in is never promoted).
import type { Config } from '../config.ts';
import type { Clock } from '../context.ts';
import type { Db, Queryable } from '../db/client.ts';
import { enqueueMessages } from '../mail/outbox.ts';
import { mailDomain, messageIdFor } from '../subscriptions/links.ts';
import {
  consumeLoginLink,
  countLoginLinksSince,
  countUserSessions,
  deleteSession,
  deleteUserSessions,
  insertApiToken,
  insertLoginLink,
  insertSession,
  insertUser,
  isUniqueViolation,
  listApiTokens,
  loginLinkById,
  revokeApiToken,
  sessionWithUser,
  setFeedToken,
  setPasswordHash,
  touchSession,
  updateProfile,
  userByApiToken,
  userByEmail,
  userById,
  userByUsername,
  type ApiTokenRow,
  type UserRow,
} from './accounts.repository.ts';
import { signInMessage } from './messages.ts';
import { dummyPasswordHash, hashPassword, verifyPassword } from './passwords.ts';
import { checkDisplayName, checkShortText, checkUsername, safeNextPath, type Role } from './profile.ts';
import { hashSecret, looksLikeSecret, newSecret } from './secrets.ts';

export const LINK_TTL_MINUTES = 15;
export const SESSION_TTL_DAYS = 30;
/** A session's expiry is pushed forward at most this often (saves a write per request). */
const SESSION_TOUCH_MS = 3600_000;
export const API_TOKEN_PREFIX = 'pp_';
/** Sign-in links per address: at most 5 an hour, one a minute. */
export const LINK_LIMITS = { max: 5, windowMs: 3600_000, minIntervalMs: 60_000 };

export interface AccountDeps {
  db: Db;
  config: Pick<Config, 'publicUrl' | 'mailFrom' | 'secretKey'>;
  clock: Clock;
}

/** The signed-in person as the rest of the app sees them. */
export interface Member {
  id: number;
  username: string;
  displayName: string | null;
  email: string | null;
  role: Role;
  upvotesPublic: boolean;
  bio: string | null;
  hasPassword: boolean;
  createdAt: Date;
}

export function memberOf(u: UserRow): Member {
  return {
    id: u.id,
    username: u.username,
    displayName: u.display_name,
    email: u.email,
    role: u.role,
    upvotesPublic: u.upvotes_public,
    bio: u.bio,
    hasPassword: !!u.password_hash,
    createdAt: new Date(u.created_at),
  };
}

export const isModerator = (m: Pick<Member, 'role'> | null | undefined): boolean => m?.role === 'moderator' || m?.role === 'admin';

// -- Creating accounts ----------------------------------------------------------------------------------

export class AccountError extends Error {
  constructor(readonly field: 'username' | 'email' | 'displayName' | 'password' | 'bio', message: string) {
    super(message);
    this.name = 'AccountError';
  }
}

export interface NewAccount {
  username: string;
  email: string | null;
  displayName?: string | null;
  role?: Role;
  password?: string | null;
}

/** Creates a user; AccountError names the field when a value is invalid or the username/email is taken. */
export async function createAccount(db: Queryable, input: NewAccount): Promise<Member> {
  const username = checkUsername(input.username);
  if (!username.ok) throw new AccountError('username', username.error);
  const display = checkDisplayName(input.displayName);
  if (!display.ok) throw new AccountError('displayName', display.error);
  const passwordHash = input.password ? await hashPassword(input.password) : null;
  try {
    const row = await insertUser(db, {
      username: username.value,
      email: input.email,
      displayName: display.value,
      role: input.role ?? 'user',
      passwordHash,
    });
    return memberOf(row);
  } catch (err) {
    if (isUniqueViolation(err, 'users_username_key')) throw new AccountError('username', `The username “${username.value}” is taken; choose another.`);
    if (isUniqueViolation(err, 'users_email_key')) throw new AccountError('email', 'An account with this email address exists already.');
    throw err;
  }
}

// -- Sign-in links --------------------------------------------------------------------------------------

export type LinkRequest = { kind: 'queued'; outboxId: number } | { kind: 'rate-limited'; retryAfterSeconds: number };

/** Stores a sign-in link for the (normalised) address and queues the email. */
export async function requestSignInLink(deps: AccountDeps, email: string, nextPath: string, limits = LINK_LIMITS): Promise<LinkRequest> {
  const now = deps.clock();
  return deps.db.transaction(async (tx) => {
    // Serialise requests for one address (two at once must not both pass the limit).
    await tx.query(`SELECT pg_advisory_xact_lock(hashtext('signin:' || lower($1)))`, [email]);
    const recent = await countLoginLinksSince(tx, email, new Date(now.getTime() - limits.windowMs));
    if (recent.last && now.getTime() - new Date(recent.last).getTime() < limits.minIntervalMs) {
      return { kind: 'rate-limited' as const, retryAfterSeconds: Math.ceil((limits.minIntervalMs - (now.getTime() - new Date(recent.last).getTime())) / 1000) };
    }
    if (recent.count >= limits.max) return { kind: 'rate-limited' as const, retryAfterSeconds: Math.ceil(limits.windowMs / 4 / 1000) };
    const token = newSecret();
    const id = hashSecret(token);
    const expiresAt = new Date(now.getTime() + LINK_TTL_MINUTES * 60_000);
    await insertLoginLink(tx, { id, email, nextPath: safeNextPath(nextPath), expiresAt, now });
    const existing = await userByEmail(tx, email);
    const link = `${deps.config.publicUrl}/signin/${token}`;
    const message = signInMessage({ email, link, newAccount: !existing, minutes: LINK_TTL_MINUTES, publicUrl: deps.config.publicUrl });
    const key = `signin:${id}`;
    const ids = await enqueueMessages(
      tx,
      [
        {
          idempotencyKey: key,
          kind: 'signin',
          recipient: email,
          subject: message.subject,
          text: message.text,
          html: message.html,
          messageId: messageIdFor(key, mailDomain(deps.config.mailFrom, deps.config.publicUrl), deps.config.secretKey),
          // A link that arrives after it expired is useless.
          expiresAt,
        },
      ],
      now,
    );
    return { kind: 'queued' as const, outboxId: ids.get(key)! };
  });
}

export type LinkCheck =
  | { ok: true; email: string; nextPath: string; member: Member | null }
  | { ok: false; reason: 'invalid' | 'expired' | 'used' };

/** What a sign-in link is for, without using it (the confirmation page). */
export async function checkSignInLink(deps: AccountDeps, token: unknown): Promise<LinkCheck> {
  if (!looksLikeSecret(token)) return { ok: false, reason: 'invalid' };
  const link = await loginLinkById(deps.db, hashSecret(token));
  if (!link) return { ok: false, reason: 'invalid' };
  if (link.used_at) return { ok: false, reason: 'used' };
  if (new Date(link.expires_at).getTime() <= deps.clock().getTime()) return { ok: false, reason: 'expired' };
  const user = await userByEmail(deps.db, link.email);
  if (user?.disabled_at) return { ok: false, reason: 'invalid' };
  return { ok: true, email: link.email, nextPath: safeNextPath(link.next_path), member: user ? memberOf(user) : null };
}

export interface SignedIn {
  member: Member;
  /** The cookie value of the new session. */
  sessionToken: string;
  nextPath: string;
  created: boolean;
}

/**
 * Uses the link: signs in the account with the link's address, or creates it with `signup` (username,
 * display name) when there is none. LinkCheck failures come back as { ok: false }; invalid sign-up
 * fields throw AccountError and leave the link unused.
 */
export async function completeSignIn(
  deps: AccountDeps,
  token: unknown,
  opts: { signup?: { username: unknown; displayName?: unknown }; userAgent?: string | null; replaceSession?: string | null } = {},
): Promise<({ ok: true } & SignedIn) | { ok: false; reason: 'invalid' | 'expired' | 'used' | 'needs-signup' }> {
  if (!looksLikeSecret(token)) return { ok: false, reason: 'invalid' };
  const now = deps.clock();
  const id = hashSecret(token);
  return deps.db.transaction(async (tx) => {
    const link = await consumeLoginLink(tx, id, now);
    if (!link) {
      const row = await loginLinkById(tx, id);
      return { ok: false as const, reason: !row ? ('invalid' as const) : row.used_at ? ('used' as const) : ('expired' as const) };
    }
    let user = await userByEmail(tx, link.email);
    let created = false;
    if (user?.disabled_at) return { ok: false as const, reason: 'invalid' as const };
    if (!user) {
      if (!opts.signup) throw new NeedsSignup();
      const member = await createAccount(tx, {
        username: opts.signup.username as string,
        email: link.email,
        displayName: (opts.signup.displayName as string | undefined) ?? null,
      });
      user = (await userById(tx, member.id))!;
      created = true;
    }
    if (opts.replaceSession) await deleteSession(tx, hashSecret(opts.replaceSession));
    const sessionToken = await startSession(tx, user.id, now, opts.userAgent ?? null);
    return { ok: true as const, member: memberOf(user), sessionToken, nextPath: safeNextPath(link.next_path), created };
  }).catch((err) => {
    if (err instanceof NeedsSignup) return { ok: false as const, reason: 'needs-signup' as const };
    throw err;
  });
}

class NeedsSignup extends Error {}

// -- Passwords ------------------------------------------------------------------------------------------

/**
 * Signs in with email and password. Null for an unknown address, an account without a password, a
 * disabled account or a wrong password alike, after the same amount of hashing work.
 */
export async function signInWithPassword(
  deps: AccountDeps,
  email: string,
  password: string,
  opts: { userAgent?: string | null; replaceSession?: string | null } = {},
): Promise<SignedIn | null> {
  const user = await userByEmail(deps.db, email);
  const ok = await verifyPassword(password, user?.password_hash ?? (await dummyPasswordHash()));
  if (!user || !user.password_hash || user.disabled_at || !ok) return null;
  const now = deps.clock();
  const sessionToken = await deps.db.transaction(async (tx) => {
    if (opts.replaceSession) await deleteSession(tx, hashSecret(opts.replaceSession));
    return startSession(tx, user.id, now, opts.userAgent ?? null);
  });
  return { member: memberOf(user), sessionToken, nextPath: '/', created: false };
}

export async function changePassword(deps: AccountDeps, userId: number, password: string | null): Promise<void> {
  await setPasswordHash(deps.db, userId, password ? await hashPassword(password) : null);
}

// -- Sessions -------------------------------------------------------------------------------------------

async function startSession(tx: Queryable, userId: number, now: Date, userAgent: string | null): Promise<string> {
  const token = newSecret();
  await insertSession(tx, {
    id: hashSecret(token),
    userId,
    expiresAt: new Date(now.getTime() + SESSION_TTL_DAYS * 86400_000),
    userAgent: userAgent ? userAgent.slice(0, 300) : null,
    now,
  });
  return token;
}

export interface SessionInfo {
  member: Member;
  /** sha256 of the cookie value: stable per session, never shown. */
  sessionId: string;
}

/** The member signed in by this cookie value, or null (unknown, expired, disabled). Slides the expiry. */
export async function sessionMember(deps: AccountDeps, token: unknown): Promise<SessionInfo | null> {
  if (!looksLikeSecret(token)) return null;
  const now = deps.clock();
  const row = await sessionWithUser(deps.db, hashSecret(token), now);
  if (!row) return null;
  if (now.getTime() - new Date(row.last_seen_at).getTime() > SESSION_TOUCH_MS) {
    await touchSession(deps.db, row.session_id, now, new Date(now.getTime() + SESSION_TTL_DAYS * 86400_000));
  }
  return { member: memberOf(row), sessionId: row.session_id };
}

export async function endSession(deps: AccountDeps, token: unknown): Promise<void> {
  if (looksLikeSecret(token)) await deleteSession(deps.db, hashSecret(token));
}

/** Signs the member out of every browser except (optionally) the current session. */
export async function endAllSessions(deps: AccountDeps, userId: number, keepSessionId?: string): Promise<number> {
  return deleteUserSessions(deps.db, userId, keepSessionId);
}

export async function activeSessionCount(deps: AccountDeps, userId: number): Promise<number> {
  return countUserSessions(deps.db, userId, deps.clock());
}

// -- Profiles -------------------------------------------------------------------------------------------

export async function memberByUsername(deps: Pick<AccountDeps, 'db'>, username: string): Promise<Member | null> {
  const u = await userByUsername(deps.db, username.toLowerCase());
  return u && !u.disabled_at ? memberOf(u) : null;
}

export async function saveProfile(
  deps: AccountDeps,
  userId: number,
  input: { displayName: unknown; bio: unknown; upvotesPublic: boolean },
): Promise<void> {
  const display = checkDisplayName(input.displayName);
  if (!display.ok) throw new AccountError('displayName', display.error);
  const bio = checkShortText(input.bio, 500, 'bio');
  if (!bio.ok) throw new AccountError('bio', bio.error);
  await updateProfile(deps.db, userId, { displayName: display.value, bio: bio.value, upvotesPublic: input.upvotesPublic });
}

// -- API tokens and the private feed token ----------------------------------------------------------------

export interface ApiToken {
  id: number;
  name: string;
  prefix: string;
  createdAt: Date;
  lastUsedAt: Date | null;
}

const tokenOf = (r: ApiTokenRow): ApiToken => ({
  id: r.id,
  name: r.name,
  prefix: r.prefix,
  createdAt: new Date(r.created_at),
  lastUsedAt: r.last_used_at ? new Date(r.last_used_at) : null,
});

/** Creates a token; the secret is returned this once and never stored. */
export async function createApiToken(deps: AccountDeps, userId: number, name: unknown): Promise<{ token: ApiToken; secret: string }> {
  const checked = checkShortText(name, 100, 'token name');
  if (!checked.ok) throw new AccountError('username', checked.error);
  const secret = newSecret(API_TOKEN_PREFIX);
  const row = await insertApiToken(deps.db, {
    userId,
    name: checked.value ?? 'API token',
    hash: hashSecret(secret),
    prefix: secret.slice(0, API_TOKEN_PREFIX.length + 6),
    now: deps.clock(),
  });
  return { token: tokenOf(row), secret };
}

export async function apiTokensOf(deps: AccountDeps, userId: number): Promise<ApiToken[]> {
  return (await listApiTokens(deps.db, userId)).map(tokenOf);
}

export async function revokeToken(deps: AccountDeps, userId: number, tokenId: number): Promise<boolean> {
  return revokeApiToken(deps.db, userId, tokenId, deps.clock());
}

/** The member an `Authorization: Bearer` token belongs to, or null. */
export async function memberByApiToken(deps: AccountDeps, secret: unknown): Promise<Member | null> {
  if (!looksLikeSecret(secret, API_TOKEN_PREFIX)) return null;
  const row = await userByApiToken(deps.db, hashSecret(secret), deps.clock());
  return row ? memberOf(row) : null;
}

/** The secret of the member's private upvotes feed, made on first use. */
export async function feedTokenOf(deps: AccountDeps, userId: number, renew = false): Promise<string> {
  const u = await userById(deps.db, userId);
  if (u?.feed_token && !renew) return u.feed_token;
  const token = newSecret();
  await setFeedToken(deps.db, userId, token);
  return token;
}
