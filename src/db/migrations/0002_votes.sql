-- Users and their upvotes, and the stored trending score (docs/trending.md).

-- Accounts. Minimal on purpose: the accounts feature adds what it needs (passwords, sessions, ...).
CREATE TABLE users (
  id           bigserial PRIMARY KEY,
  username     text NOT NULL,                  -- lowercase handle shown in URLs: [a-z0-9_-]{2,40}
  email        text,                           -- NULL until the user gives one; unique case-insensitively
  display_name text,
  role         text NOT NULL DEFAULT 'user',
  created_at   timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT users_username_key UNIQUE (username),
  CONSTRAINT users_username_format CHECK (username ~ '^[a-z0-9_-]{2,40}$'),
  CONSTRAINT users_email_format CHECK (email IS NULL OR (length(email) <= 254 AND email ~ '^[^@[:space:]]+@[^@[:space:]]+$')),
  CONSTRAINT users_display_name_length CHECK (display_name IS NULL OR length(display_name) BETWEEN 1 AND 100),
  CONSTRAINT users_role_known CHECK (role IN ('user', 'moderator', 'admin'))
);
-- Alice@Example.org and alice@example.org are one mailbox for every purpose paperpulse has.
CREATE UNIQUE INDEX users_email_key ON users (lower(email));

-- One upvote per user and paper. papers.upvotes is kept equal to the number of rows here for the paper,
-- in the vote's own transaction (src/feed/votes.service.ts). Deleting a user cascades to their votes
-- without touching papers.upvotes: unvote first, or run `paperpulse trending recompute --recount-votes`.
CREATE TABLE votes (
  user_id    bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  paper_id   text NOT NULL REFERENCES papers (id) ON DELETE CASCADE,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (user_id, paper_id)
);
CREATE INDEX votes_paper_id_idx ON votes (paper_id);

ALTER TABLE papers ADD CONSTRAINT papers_upvotes_nonnegative CHECK (upvotes >= 0);

-- A day's list ordered by score, and the trending page's range of days.
CREATE INDEX papers_trending_idx ON papers (first_listed, trending_score DESC);

-- Scores of the papers already stored. Same formula as src/feed/ranking.ts with the constants of this
-- release (epoch 2025-01-01, 86,400 s per tenfold of votes, comments weigh 0.5 up to the upvotes);
-- exact for papers without votes, which is every paper before this migration.
UPDATE papers SET trending_score =
  log(greatest(1, upvotes + least(upvotes, 0.5 * num_comments))::double precision)
  + (first_listed - DATE '2025-01-01')::double precision * 86400 / 86400;
