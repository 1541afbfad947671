-- Email digests: subscriptions (double opt-in), the mail outbox, and which papers each subscriber has
-- been sent. See src/subscriptions/, src/digest/ and docs/decisions.md ("Digest delivery").

-- One row per address. Nothing is mailed to an address before it confirms (status 'pending' only ever
-- receives the confirmation message); a pending address is deleted after 7 days.
CREATE TABLE subscriptions (
  id                 bigserial PRIMARY KEY,
  email              text NOT NULL,                 -- normalised: lowercase, ASCII (IDNA) domain
  user_id            bigint REFERENCES users (id) ON DELETE SET NULL,  -- when a signed-in user subscribed
  status             text NOT NULL DEFAULT 'pending',
  frequency          text NOT NULL DEFAULT 'daily',
  paper_count        integer NOT NULL DEFAULT 10,   -- papers per digest
  categories         text[] NOT NULL DEFAULT '{}',  -- arXiv categories to include; empty means all
  keywords           text[] NOT NULL DEFAULT '{}',  -- a paper must mention one of these (empty: no filter)
  token_version      integer NOT NULL DEFAULT 1,    -- signed links carry it; bumping it revokes them all
  created_at         timestamptz NOT NULL DEFAULT now(),
  confirmed_at       timestamptz,
  unsubscribed_at    timestamptz,
  updated_at         timestamptz NOT NULL DEFAULT now(),
  -- Consecutive permanent (5xx) delivery failures; at the limit the status becomes 'bouncing'.
  permanent_failures integer NOT NULL DEFAULT 0,
  last_failure       text,
  last_failure_at    timestamptz,
  CONSTRAINT subscriptions_status_known CHECK (status IN ('pending', 'confirmed', 'paused', 'unsubscribed', 'bouncing')),
  CONSTRAINT subscriptions_frequency_known CHECK (frequency IN ('daily', 'weekly')),
  CONSTRAINT subscriptions_paper_count_range CHECK (paper_count BETWEEN 1 AND 50),
  CONSTRAINT subscriptions_email_normalised CHECK (
    email = lower(email) AND length(email) <= 254 AND email ~ '^[^@[:space:]]+@[^@[:space:]]+$'),
  CONSTRAINT subscriptions_keywords_bounded CHECK (cardinality(keywords) <= 20),
  CONSTRAINT subscriptions_categories_bounded CHECK (cardinality(categories) <= 100)
);
CREATE UNIQUE INDEX subscriptions_email_key ON subscriptions (email);
CREATE INDEX subscriptions_due_idx ON subscriptions (frequency, id) WHERE status = 'confirmed';
CREATE INDEX subscriptions_pending_idx ON subscriptions (created_at) WHERE status = 'pending';

-- Every message paperpulse sends is first a row here. The idempotency key names what the message is
-- ('digest:<subscription>:<period>', 'confirm:<subscription>:<n>'), so planning the same digest twice
-- adds nothing. Senders claim rows with FOR UPDATE SKIP LOCKED; a row goes
--   queued -> claimed (leased to one sender) -> sending (handed to SMTP) -> sent | failed
-- or queued -> cancelled (the subscriber left before it went out),
-- and back to queued after a temporary failure (with backoff) or when its sender died.
CREATE TABLE mail_outbox (
  id               bigserial PRIMARY KEY,
  idempotency_key  text NOT NULL,
  kind             text NOT NULL,                   -- 'digest', 'confirm', 'manage-link', ...
  subscription_id  bigint REFERENCES subscriptions (id) ON DELETE CASCADE,
  recipient        text NOT NULL,
  subject          text NOT NULL,
  message          jsonb,                           -- {text, html, headers}; dropped once sent
  message_id       text NOT NULL,                   -- derived from the idempotency key: the same on every attempt
  status           text NOT NULL DEFAULT 'queued',
  attempts         integer NOT NULL DEFAULT 0,      -- deliveries started
  next_attempt_at  timestamptz NOT NULL DEFAULT now(),
  expires_at       timestamptz,                     -- give up after this (a daily digest a day late is no use)
  claimed_by       text,                            -- host:pid:nonce of the sender holding the lease
  lease_until      timestamptz,
  sent_at          timestamptz,
  response         text,                            -- the server's final reply, or the last error
  created_at       timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT mail_outbox_status_known CHECK (status IN ('queued', 'claimed', 'sending', 'sent', 'failed', 'cancelled')),
  CONSTRAINT mail_outbox_kind_format CHECK (kind ~ '^[a-z][a-z-]*$')
);
CREATE UNIQUE INDEX mail_outbox_idempotency_key ON mail_outbox (idempotency_key);
CREATE INDEX mail_outbox_due_idx ON mail_outbox (next_attempt_at, id) WHERE status = 'queued';
CREATE INDEX mail_outbox_leased_idx ON mail_outbox (lease_until) WHERE status IN ('claimed', 'sending');
CREATE INDEX mail_outbox_recipient_idx ON mail_outbox (recipient, created_at);
CREATE INDEX mail_outbox_subscription_idx ON mail_outbox (subscription_id);

-- Papers a subscriber has been sent (recorded when the digest is planned, in the same transaction as its
-- outbox row), so that no paper appears in two digests of one subscriber. A digest that fails for good
-- gives its papers back.
CREATE TABLE digest_sent_papers (
  subscription_id bigint NOT NULL REFERENCES subscriptions (id) ON DELETE CASCADE,
  paper_id        text NOT NULL REFERENCES papers (id) ON DELETE CASCADE,
  outbox_id       bigint REFERENCES mail_outbox (id) ON DELETE SET NULL,
  sent_at         timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (subscription_id, paper_id)
);
CREATE INDEX digest_sent_papers_outbox_idx ON digest_sent_papers (outbox_id);
CREATE INDEX digest_sent_papers_sent_at_idx ON digest_sent_papers (sent_at);
