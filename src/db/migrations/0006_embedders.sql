-- Embedders (issue 4, docs/search.md "Embedders"): a search model is either the built-in model paperpulse trains
-- (`bytes` = StaticEmbeddingModel.serialize()) or an external embedder that made the vectors: a local ONNX model
-- folder or an OpenAI-compatible /v1/embeddings endpoint (`bytes` empty: the weights live outside the database).
--   kind      builtin | onnx | openai
--   embedder  what made the vectors ('builtin', 'onnx:<folder>:<sha256 of the .onnx file>', 'openai:<model>@<url>'):
--             vectors of two embedders are never mixed, and serve knows when the configured one is not the active one
--   dim       the vectors' dimension
--   revision  grows whenever vectors are added under the model after its switch (papers that arrived later), so
--             in-process indexes know to reload
ALTER TABLE search_models
  ADD COLUMN kind text NOT NULL DEFAULT 'builtin' CHECK (kind IN ('builtin', 'onnx', 'openai')),
  ADD COLUMN embedder text NOT NULL DEFAULT 'builtin',
  ADD COLUMN dim integer,
  ADD COLUMN revision integer NOT NULL DEFAULT 0;

UPDATE search_models m SET dim = (SELECT length(e.vector) / 4 FROM paper_embeddings e WHERE e.model_id = m.id LIMIT 1);
