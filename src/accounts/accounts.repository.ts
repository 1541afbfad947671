// All SQL about accounts: users, sessions, sign-in links and API tokens.
import type { Queryable } from '../db/client.ts';
import type { Role } from './profile.ts';

export interface UserRow {
  id: number;
  username: string;
  email: string | null;
  display_name: string | null;
  role: Role;
  bio: string | null;
  upvotes_public: boolean;
  password_hash: string | null;
  feed_token: string | null;
  disabled_at: Date | null;
  created_at: Date;
}

const USER_COLUMNS =
  'u.id, u.username, u.email, u.display_name, u.role, u.bio, u.upvotes_public, u.password_hash, u.feed_token, u.disabled_at, u.created_at';

export function isUniqueViolation(err: unknown, constraint?: string): boolean {
  const e = (typeof err === 'object' && err !== null ? err : {}) as { code?: string; constraint?: string };
  return e.code === '23505' && (constraint === undefined || e.constraint === constraint);
}

export async function userByEmail(db: Queryable, email: string): Promise<UserRow | null> {
  const rows = await db.query<UserRow>(`SELECT ${USER_COLUMNS} FROM users u WHERE lower(u.email) = lower($1)`, [email]);
  return rows[0] ?? null;
}

export async function userById(db: Queryable, id: number): Promise<UserRow | null> {
  const rows = await db.query<UserRow>(`SELECT ${USER_COLUMNS} FROM users u WHERE u.id = $1`, [id]);
  return rows[0] ?? null;
}

export async function userByUsername(db: Queryable, username: string): Promise<UserRow | null> {
  const rows = await db.query<UserRow>(`SELECT ${USER_COLUMNS} FROM users u WHERE u.username = $1`, [username]);
  return rows[0] ?? null;
}

export async function userByFeedToken(db: Queryable, token: string): Promise<UserRow | null> {
  const rows = await db.query<UserRow>(`SELECT ${USER_COLUMNS} FROM users u WHERE u.feed_token = $1`, [token]);
  return rows[0] ?? null;
}

export async function insertUser(
  db: Queryable,
  u: { username: string; email: string | null; displayName: string | null; role: Role; passwordHash?: string | null },
): Promise<UserRow> {
  const rows = await db.query<UserRow>(
    `INSERT INTO users AS u (username, email, display_name, role, password_hash) VALUES ($1, $2, $3, $4, $5)
     RETURNING ${USER_COLUMNS}`,
    [u.username, u.email, u.displayName, u.role, u.passwordHash ?? null],
  );
  return rows[0];
}

export async function updateProfile(
  db: Queryable,
  id: number,
  p: { displayName: string | null; bio: string | null; upvotesPublic: boolean },
): Promise<void> {
  await db.query(`UPDATE users SET display_name = $2, bio = $3, upvotes_public = $4 WHERE id = $1`, [id, p.displayName, p.bio, p.upvotesPublic]);
}

export async function setPasswordHash(db: Queryable, id: number, hash: string | null): Promise<void> {
  await db.query(`UPDATE users SET password_hash = $2 WHERE id = $1`, [id, hash]);
}

export async function setRole(db: Queryable, id: number, role: Role): Promise<void> {
  await db.query(`UPDATE users SET role = $2 WHERE id = $1`, [id, role]);
}

export async function setFeedToken(db: Queryable, id: number, token: string | null): Promise<void> {
  await db.query(`UPDATE users SET feed_token = $2 WHERE id = $1`, [id, token]);
}

export async function setEmail(db: Queryable, id: number, email: string): Promise<void> {
  await db.query(`UPDATE users SET email = $2 WHERE id = $1`, [id, email]);
}

// -- Sign-in links --------------------------------------------------------------------------------------

export async function insertLoginLink(db: Queryable, l: { id: string; email: string; nextPath: string; expiresAt: Date; now: Date }): Promise<void> {
  await db.query(`INSERT INTO login_links (id, email, next_path, created_at, expires_at) VALUES ($1, $2, $3, $5, $4)`, [l.id, l.email, l.nextPath, l.expiresAt, l.now]);
}

export interface LoginLinkRow {
  id: string;
  email: string;
  next_path: string | null;
  created_at: Date;
  expires_at: Date;
  used_at: Date | null;
}

export async function loginLinkById(db: Queryable, id: string): Promise<LoginLinkRow | null> {
  const rows = await db.query<LoginLinkRow>(`SELECT id, email, next_path, created_at, expires_at, used_at FROM login_links WHERE id = $1`, [id]);
  return rows[0] ?? null;
}

/** Marks the link used if it is unused and unexpired at `now`; null when it was not (single use). */
export async function consumeLoginLink(db: Queryable, id: string, now: Date): Promise<LoginLinkRow | null> {
  const rows = await db.query<LoginLinkRow>(
    `UPDATE login_links SET used_at = $2 WHERE id = $1 AND used_at IS NULL AND expires_at > $2
     RETURNING id, email, next_path, created_at, expires_at, used_at`,
    [id, now],
  );
  return rows[0] ?? null;
}

/** Links sent to an address since `since` (the per-address limit). */
export async function countLoginLinksSince(db: Queryable, email: string, since: Date): Promise<{ count: number; last: Date | null }> {
  const rows = await db.query<{ count: number; last: Date | null }>(
    `SELECT count(*) AS count, max(created_at) AS last FROM login_links WHERE lower(email) = lower($1) AND created_at > $2`,
    [email, since],
  );
  return rows[0] ?? { count: 0, last: null };
}

export async function deleteOldLoginLinks(db: Queryable, before: Date): Promise<number> {
  const rows = await db.query(`DELETE FROM login_links WHERE expires_at < $1 RETURNING 1`, [before]);
  return rows.length;
}

// -- Sessions -------------------------------------------------------------------------------------------

export async function insertSession(db: Queryable, s: { id: string; userId: number; expiresAt: Date; userAgent: string | null; now: Date }): Promise<void> {
  await db.query(
    `INSERT INTO sessions (id, user_id, created_at, last_seen_at, expires_at, user_agent) VALUES ($1, $2, $5, $5, $3, $4)`,
    [s.id, s.userId, s.expiresAt, s.userAgent, s.now],
  );
}

export interface SessionUserRow extends UserRow {
  session_id: string;
  last_seen_at: Date;
  expires_at: Date;
}

export async function sessionWithUser(db: Queryable, id: string, now: Date): Promise<SessionUserRow | null> {
  const rows = await db.query<SessionUserRow>(
    `SELECT ${USER_COLUMNS}, s.id AS session_id, s.last_seen_at, s.expires_at
       FROM sessions s JOIN users u ON u.id = s.user_id
      WHERE s.id = $1 AND s.expires_at > $2 AND u.disabled_at IS NULL`,
    [id, now],
  );
  return rows[0] ?? null;
}

export async function touchSession(db: Queryable, id: string, now: Date, expiresAt: Date): Promise<void> {
  await db.query(`UPDATE sessions SET last_seen_at = $2, expires_at = $3 WHERE id = $1`, [id, now, expiresAt]);
}

export async function deleteSession(db: Queryable, id: string): Promise<void> {
  await db.query(`DELETE FROM sessions WHERE id = $1`, [id]);
}

/** Deletes every session of the user except `keep` (if given); returns how many went. */
export async function deleteUserSessions(db: Queryable, userId: number, keep?: string): Promise<number> {
  const rows = await db.query(`DELETE FROM sessions WHERE user_id = $1 AND id <> coalesce($2, '') RETURNING 1`, [userId, keep ?? null]);
  return rows.length;
}

export async function countUserSessions(db: Queryable, userId: number, now: Date): Promise<number> {
  const rows = await db.query<{ n: number }>(`SELECT count(*) AS n FROM sessions WHERE user_id = $1 AND expires_at > $2`, [userId, now]);
  return rows[0]?.n ?? 0;
}

export async function deleteExpiredSessions(db: Queryable, now: Date): Promise<number> {
  const rows = await db.query(`DELETE FROM sessions WHERE expires_at <= $1 RETURNING 1`, [now]);
  return rows.length;
}

// -- API tokens -----------------------------------------------------------------------------------------

export interface ApiTokenRow {
  id: number;
  name: string;
  prefix: string;
  created_at: Date;
  last_used_at: Date | null;
}

export async function insertApiToken(db: Queryable, t: { userId: number; name: string; hash: string; prefix: string; now: Date }): Promise<ApiTokenRow> {
  const rows = await db.query<ApiTokenRow>(
    `INSERT INTO api_tokens (user_id, name, token_hash, prefix, created_at) VALUES ($1, $2, $3, $4, $5) RETURNING id, name, prefix, created_at, last_used_at`,
    [t.userId, t.name, t.hash, t.prefix, t.now],
  );
  return rows[0];
}

export async function listApiTokens(db: Queryable, userId: number): Promise<ApiTokenRow[]> {
  return db.query<ApiTokenRow>(
    `SELECT id, name, prefix, created_at, last_used_at FROM api_tokens WHERE user_id = $1 AND revoked_at IS NULL ORDER BY created_at DESC, id DESC`,
    [userId],
  );
}

/** Revokes the user's token; false when the user has no such live token (someone else's, or gone). */
export async function revokeApiToken(db: Queryable, userId: number, tokenId: number, now: Date): Promise<boolean> {
  const rows = await db.query(
    `UPDATE api_tokens SET revoked_at = $3 WHERE id = $1 AND user_id = $2 AND revoked_at IS NULL RETURNING 1`,
    [tokenId, userId, now],
  );
  return rows.length === 1;
}

/** The live token's user, marking the token used (at most once a minute, to spare writes). */
export async function userByApiToken(db: Queryable, hash: string, now: Date): Promise<(UserRow & { token_id: number }) | null> {
  const rows = await db.query<UserRow & { token_id: number; last_used_at: Date | null }>(
    `SELECT ${USER_COLUMNS}, t.id AS token_id, t.last_used_at FROM api_tokens t JOIN users u ON u.id = t.user_id
      WHERE t.token_hash = $1 AND t.revoked_at IS NULL AND u.disabled_at IS NULL`,
    [hash],
  );
  const row = rows[0];
  if (!row) return null;
  if (!row.last_used_at || now.getTime() - new Date(row.last_used_at).getTime() > 60_000) {
    await db.query(`UPDATE api_tokens SET last_used_at = $2 WHERE id = $1`, [row.token_id, now]);
  }
  return row;
}
