-- The research community (issue 5): accounts, sessions, sign-in links, API tokens, comments and
-- submissions onto the daily list. Secrets (session ids, sign-in links, API tokens) are stored only as
-- SHA-256 hashes: a copy of the database does not let anyone sign in.

ALTER TABLE users
  ADD COLUMN password_hash  text,                         -- scrypt (src/accounts/passwords.ts), NULL: magic link only
  ADD COLUMN upvotes_public boolean NOT NULL DEFAULT true, -- profile shows the user's upvotes
  ADD COLUMN feed_token     text,                         -- secret in the URL of the user's upvotes feed
  ADD COLUMN bio            text,
  ADD COLUMN disabled_at    timestamptz,                  -- an admin disabled the account: no sign-in
  ADD CONSTRAINT users_bio_length CHECK (bio IS NULL OR length(bio) <= 500);
CREATE UNIQUE INDEX users_feed_token_key ON users (feed_token);

-- Signed-in browsers. id = sha256(cookie value), hex.
CREATE TABLE sessions (
  id           text PRIMARY KEY,
  user_id      bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  created_at   timestamptz NOT NULL DEFAULT now(),
  last_seen_at timestamptz NOT NULL DEFAULT now(),
  expires_at   timestamptz NOT NULL,
  user_agent   text
);
CREATE INDEX sessions_user_id_idx ON sessions (user_id);
CREATE INDEX sessions_expires_at_idx ON sessions (expires_at);

-- One-time sign-in links sent by email. id = sha256(token in the link), hex. Single use: used_at is set
-- in the same statement that checks it is NULL.
CREATE TABLE login_links (
  id         text PRIMARY KEY,
  email      text NOT NULL,            -- normalised address the link was sent to
  next_path  text,                     -- where to go after signing in (a local path, checked)
  created_at timestamptz NOT NULL DEFAULT now(),
  expires_at timestamptz NOT NULL,
  used_at    timestamptz
);
CREATE INDEX login_links_email_idx ON login_links (lower(email), created_at);

-- Personal API tokens (Authorization: Bearer pp_...). id shown in /settings; the secret only once.
CREATE TABLE api_tokens (
  id           bigserial PRIMARY KEY,
  user_id      bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  name         text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
  token_hash   text NOT NULL UNIQUE,
  prefix       text NOT NULL,         -- first characters, to recognise a token in a list
  created_at   timestamptz NOT NULL DEFAULT now(),
  last_used_at timestamptz,
  revoked_at   timestamptz
);
CREATE INDEX api_tokens_user_id_idx ON api_tokens (user_id);

-- Threaded comments. body is the author's Markdown; body_html the sanitised rendering, stored so that a
-- page view renders nothing. A deleted comment with replies keeps its place ("deleted"), hidden ones
-- show the moderator's reason in place.
CREATE TABLE comments (
  id            bigserial PRIMARY KEY,
  paper_id      text NOT NULL REFERENCES papers (id) ON DELETE CASCADE,
  user_id       bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  parent_id     bigint REFERENCES comments (id) ON DELETE CASCADE,
  body          text NOT NULL CHECK (length(body) BETWEEN 1 AND 10000),
  body_html     text NOT NULL,
  created_at    timestamptz NOT NULL DEFAULT now(),
  edited_at     timestamptz,
  deleted_at    timestamptz,
  hidden_at     timestamptz,
  hidden_by     bigint REFERENCES users (id) ON DELETE SET NULL,
  hidden_reason text CHECK (hidden_reason IS NULL OR length(hidden_reason) <= 500)
);
CREATE INDEX comments_paper_id_idx ON comments (paper_id, created_at);
CREATE INDEX comments_user_id_idx ON comments (user_id, created_at DESC);
CREATE INDEX comments_parent_id_idx ON comments (parent_id);

-- Papers put on a day's list by a member. One live entry per paper and day; a removed one (moderation)
-- keeps its row and frees the place.
CREATE TABLE submissions (
  id             bigserial PRIMARY KEY,
  paper_id       text NOT NULL REFERENCES papers (id) ON DELETE CASCADE,
  list_date      date NOT NULL,
  user_id        bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  note           text CHECK (note IS NULL OR length(note) <= 500),
  created_at     timestamptz NOT NULL DEFAULT now(),
  removed_at     timestamptz,
  removed_by     bigint REFERENCES users (id) ON DELETE SET NULL,
  removed_reason text CHECK (removed_reason IS NULL OR length(removed_reason) <= 500)
);
CREATE UNIQUE INDEX submissions_live_key ON submissions (paper_id, list_date) WHERE removed_at IS NULL;
CREATE INDEX submissions_list_date_idx ON submissions (list_date) WHERE removed_at IS NULL;
CREATE INDEX submissions_user_id_idx ON submissions (user_id, created_at DESC);
