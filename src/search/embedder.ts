// One interface over everything that turns papers into vectors (docs/search.md "Embedders"):
// - builtin: the static model paperpulse trains on its own papers (static-model.ts; `paperpulse model train`);
// - onnx:    a local sentence-transformers ONNX export run by @huggingface/transformers + onnxruntime-node, with
//            remote loading disabled (embedder-onnx.ts);
// - openai:  an OpenAI-compatible /v1/embeddings endpoint such as Ollama, TEI or vLLM (embedder-openai.ts).
// The configuration (EMBEDDER, src/config.ts) picks one. Every embedder returns L2-normalised Float32 vectors of one
// dimension; stored vectors record the identity of the embedder that made them (search_models.embedder), and
// vectors of two identities are never compared.
import type { Config } from '../config.ts';
import type { StaticEmbeddingModel } from './static-model.ts';
import { tokenize } from './text.ts';

export type EmbedderKind = 'builtin' | 'onnx' | 'openai';
export const EMBEDDER_KINDS: readonly EmbedderKind[] = ['builtin', 'onnx', 'openai'];

/** The text of a paper an embedder sees. */
export interface PaperText {
  title: string;
  abstract: string;
}

export interface EmbedOptions {
  signal?: AbortSignal;
}

export interface Embedder {
  readonly kind: EmbedderKind;
  /**
   * What makes the vectors, stored with them: two embedders with one identity give comparable vectors. 'builtin' for
   * the trained model (each trained model is its own search_models row), 'onnx:<folder>:<sha256 prefix of the .onnx
   * file>', 'openai:<model>@<endpoint>'.
   */
  readonly identity: string;
  /** Short, human-readable description (logs, messages). */
  readonly label: string;
  /** The model's name alone (model versions): the folder's, the endpoint's model, 'builtin'. */
  readonly name: string;
  /** Papers per embedDocuments call that suits this embedder (callers slice their work by it). */
  readonly batchSize: number;
  /** One unit-length vector per paper, in order; all of one dimension. Throws EmbedderError with a clear message. */
  embedDocuments(docs: readonly PaperText[], opts?: EmbedOptions): Promise<Float32Array[]>;
  /** A search query's vector (some models want a query prefix). */
  embedQuery(text: string, opts?: EmbedOptions): Promise<Float32Array>;
  /** Frees the model / connections. */
  close(): Promise<void>;
}

/** A problem of an embedder a person can act on (unreachable endpoint, bad answer, broken model folder). */
export class EmbedderError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'EmbedderError';
  }
}

/** The text an external embedder gets for a paper: title, a blank line, the abstract (whitespace collapsed). */
export function paperDocument(p: PaperText): string {
  const clean = (s: string) => s.replace(/\s+/g, ' ').trim();
  return `${clean(p.title)}\n\n${clean(p.abstract)}`;
}

/** Scales `v` to unit length in place (a zero vector stays zero). */
export function normalizeInPlace(v: Float32Array): Float32Array {
  let s = 0;
  for (let i = 0; i < v.length; i++) s += v[i] * v[i];
  if (s > 0) {
    const inv = 1 / Math.sqrt(s);
    for (let i = 0; i < v.length; i++) v[i] *= inv;
  }
  return v;
}

/** The trained static model as an Embedder (the vectors `paperpulse model train` stores). */
export class BuiltinEmbedder implements Embedder {
  readonly kind = 'builtin' as const;
  readonly identity = 'builtin';
  readonly name = 'builtin';
  readonly batchSize = 2000;
  constructor(readonly model: StaticEmbeddingModel, readonly label = 'built-in model') {}

  async embedDocuments(docs: readonly PaperText[]): Promise<Float32Array[]> {
    // The same stems as training and `trainAndActivate`: title then abstract.
    return docs.map((p) => this.model.encodeTokens([...tokenize(p.title), ...tokenize(p.abstract)]));
  }

  async embedQuery(text: string): Promise<Float32Array> {
    return this.model.encode(text);
  }

  async close(): Promise<void> {}
}

/** The external embedder the configuration names (null for builtin, which is loaded from the database). */
export async function createExternalEmbedder(config: Config): Promise<Embedder | null> {
  if (config.embedder === 'onnx') {
    const { OnnxEmbedder } = await import('./embedder-onnx.ts');
    return OnnxEmbedder.open(config.embedderModelDir!);
  }
  if (config.embedder === 'openai') {
    const { OpenAiEmbedder } = await import('./embedder-openai.ts');
    return new OpenAiEmbedder({
      url: config.embeddingsUrl!,
      model: config.embeddingsModel!,
      apiKey: config.embeddingsApiKey,
      batchSize: config.embeddingsBatch,
      timeoutMs: config.embeddingsTimeoutMs,
      retries: config.embeddingsRetries,
    });
  }
  return null;
}
