-- The paper store. One row per arXiv paper (id without version); the versions column keeps the
-- history of versions seen, the scalar columns describe the current (latest known) version.
CREATE TABLE papers (
  id               text PRIMARY KEY,            -- '2501.00001' or old style 'hep-th/9901001'
  version          integer,                      -- latest known version number; NULL when the source did not say
  title            text NOT NULL,
  abstract         text NOT NULL,
  authors          text[] NOT NULL,              -- display names, in paper order
  author_keys      text[] NOT NULL,              -- normalised names (see papers/authors.ts) for author pages
  categories       text[] NOT NULL,              -- arXiv categories, primary first
  primary_category text NOT NULL,
  comment          text,
  journal_ref      text,
  doi              text,
  license          text,
  published_at     timestamptz,                  -- v1 submission time
  updated_at       timestamptz,                  -- latest version's submission time
  first_listed     date NOT NULL,                -- the day the paper belongs to in the daily feed
  versions         jsonb NOT NULL DEFAULT '[]',  -- [{"version": 1, "date": "..."}] oldest first
  github_repo      text,
  project_page     text,
  organization     text,
  source           text NOT NULL,                -- where the current version came from (import format or harvest)
  -- Community figures, maintained by later features (votes, comments, trending).
  upvotes          integer NOT NULL DEFAULT 0,
  num_comments     integer NOT NULL DEFAULT 0,
  trending_score   double precision NOT NULL DEFAULT 0,
  created_at       timestamptz NOT NULL DEFAULT now(),
  modified_at      timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT papers_title_nonempty CHECK (length(title) > 0),
  CONSTRAINT papers_authors_nonempty CHECK (cardinality(authors) > 0),
  CONSTRAINT papers_categories_nonempty CHECK (cardinality(categories) > 0)
);

CREATE INDEX papers_first_listed_idx ON papers (first_listed DESC, id);
CREATE INDEX papers_primary_category_idx ON papers (primary_category, first_listed DESC);
CREATE INDEX papers_categories_idx ON papers USING gin (categories);
CREATE INDEX papers_author_keys_idx ON papers USING gin (author_keys);

-- Jobs that must run once across every process sharing the database (harvests, digests).
-- A process claims a run by key; a claim whose heartbeat is stale is taken over.
CREATE TABLE job_runs (
  job          text NOT NULL,
  run_key      text NOT NULL,          -- e.g. the announcement date a harvest is for
  status       text NOT NULL CHECK (status IN ('running', 'done', 'failed')),
  owner        text NOT NULL,          -- host:pid of the claiming process
  started_at   timestamptz NOT NULL DEFAULT now(),
  heartbeat_at timestamptz NOT NULL DEFAULT now(),
  finished_at  timestamptz,
  detail       text,
  PRIMARY KEY (job, run_key)
);

-- lz4 compresses and decompresses long abstracts several times faster than the default pglz; servers
-- built without it (and PGlite builds that lack it) keep the default.
DO $$
BEGIN
  IF EXISTS (SELECT 1 FROM pg_settings WHERE name = 'default_toast_compression' AND 'lz4' = ANY (enumvals)) THEN
    EXECUTE 'ALTER TABLE papers ALTER COLUMN abstract SET COMPRESSION lz4, ALTER COLUMN versions SET COMPRESSION lz4';
  END IF;
END $$;
