-- Search (issue 4, docs/search.md): the self-trained semantic model, one vector per paper, and a weighted
-- full-text document per paper for keyword candidate retrieval.

-- Trained models, newest last; exactly one (or none) is active. `bytes` is StaticEmbeddingModel.serialize().
CREATE TABLE search_models (
  id           bigserial PRIMARY KEY,
  version      text NOT NULL,
  created_at   timestamptz NOT NULL DEFAULT now(),
  papers_count integer NOT NULL,
  bytes        bytea NOT NULL,
  active       boolean NOT NULL DEFAULT false
);
CREATE UNIQUE INDEX search_models_one_active ON search_models (active) WHERE active;

-- One vector per paper under a model: Float32 little-endian, L2-normalised. Vectors are searched in process
-- (brute force with the SIMD kernel), so neither pgvector nor any extension is needed.
CREATE TABLE paper_embeddings (
  paper_id text PRIMARY KEY REFERENCES papers (id) ON DELETE CASCADE,
  model_id bigint NOT NULL REFERENCES search_models (id) ON DELETE CASCADE,
  vector   bytea NOT NULL
);
CREATE INDEX paper_embeddings_model_idx ON paper_embeddings (model_id);

-- Weighted document: title A, authors B, abstract C. A plain column (array_to_string is not immutable, so a
-- generated column cannot use it), kept up to date by a trigger whenever title, abstract or authors change.
ALTER TABLE papers ADD COLUMN search_doc tsvector;

CREATE FUNCTION papers_search_doc() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  NEW.search_doc :=
    setweight(to_tsvector('english', NEW.title), 'A') ||
    setweight(to_tsvector('simple', array_to_string(NEW.authors, ' ')), 'B') ||
    setweight(to_tsvector('english', NEW.abstract), 'C');
  RETURN NEW;
END $$;

CREATE TRIGGER papers_search_doc_trg BEFORE INSERT OR UPDATE OF title, abstract, authors ON papers
  FOR EACH ROW EXECUTE FUNCTION papers_search_doc();

UPDATE papers SET search_doc =
  setweight(to_tsvector('english', title), 'A') ||
  setweight(to_tsvector('simple', array_to_string(authors, ' ')), 'B') ||
  setweight(to_tsvector('english', abstract), 'C');
CREATE INDEX papers_search_doc_idx ON papers USING gin (search_doc);
