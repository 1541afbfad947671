// EMBEDDER=openai: an OpenAI-compatible embeddings endpoint (Ollama, TEI, vLLM, llama.cpp, OpenAI itself...).
// POST <EMBEDDINGS_URL>/embeddings {model, input: [texts]} -> {data: [{index, embedding: number[]}]}. Batches of
// EMBEDDINGS_BATCH texts; each request has a time limit and is retried with exponential backoff (honouring
// Retry-After) when it could not connect, timed out, or was answered 429 or 5xx. Every other failure says what went
// wrong: unreachable, an HTTP error with the start of its body, an answer that is not JSON or not an embeddings
// response, or vectors of the wrong count or dimension. The API key never appears in a message.
import { EmbedderError, normalizeInPlace, paperDocument, type EmbedOptions, type Embedder, type PaperText } from './embedder.ts';

export interface OpenAiEmbedderOptions {
  /** Base URL (…/v1) or the full …/embeddings URL. */
  url: string;
  model: string;
  apiKey?: string | null;
  batchSize?: number;
  timeoutMs?: number;
  retries?: number;
  /** First backoff (doubles per retry, at most maxBackoffMs); tests shorten it. */
  backoffMs?: number;
  maxBackoffMs?: number;
  /** The dimension the vectors must have (e.g. the stored model's); otherwise the first answer sets it. */
  dim?: number | null;
  /** Text prepended to papers and queries (some models want "search_document: " / "search_query: "). */
  documentPrefix?: string;
  queryPrefix?: string;
}

/** The endpoint URL a base URL stands for: …/embeddings as given, otherwise base + /embeddings. */
export function embeddingsEndpoint(url: string): string {
  const u = url.replace(/\/+$/, '');
  return /\/embeddings$/.test(u) ? u : `${u}/embeddings`;
}

/** The URL without credentials, query or fragment (for identities and messages). */
function displayUrl(url: string): string {
  try {
    const u = new URL(url);
    u.username = '';
    u.password = '';
    u.search = '';
    u.hash = '';
    return u.toString();
  } catch {
    return url;
  }
}

class RetryableError extends Error {
  constructor(message: string, readonly retryAfterMs: number | null = null) {
    super(message);
  }
}

const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const t = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(t);
      reject(signal!.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });

function retryAfter(h: string | null): number | null {
  if (!h) return null;
  const s = Number(h);
  if (Number.isFinite(s)) return Math.max(0, s * 1000);
  const d = Date.parse(h);
  return Number.isNaN(d) ? null : Math.max(0, d - Date.now());
}

export class OpenAiEmbedder implements Embedder {
  readonly kind = 'openai' as const;
  readonly identity: string;
  readonly label: string;
  readonly name: string;
  readonly batchSize: number;
  readonly endpoint: string;
  /** Requests sent, retries included (for tests and figures). */
  requests = 0;
  private dim: number | null;

  constructor(private readonly opts: OpenAiEmbedderOptions) {
    this.endpoint = embeddingsEndpoint(opts.url);
    this.identity = `openai:${opts.model}@${displayUrl(this.endpoint)}`;
    this.label = `${opts.model} at ${displayUrl(this.endpoint)}`;
    this.name = opts.model;
    this.batchSize = opts.batchSize ?? 64;
    this.dim = opts.dim ?? null;
  }

  /** The vectors' dimension once known. */
  get dimension(): number | null {
    return this.dim;
  }

  async embedDocuments(docs: readonly PaperText[], opts: EmbedOptions = {}): Promise<Float32Array[]> {
    return this.embedTexts(docs.map((d) => (this.opts.documentPrefix ?? '') + paperDocument(d)), opts);
  }

  async embedQuery(text: string, opts: EmbedOptions = {}): Promise<Float32Array> {
    return (await this.embedTexts([(this.opts.queryPrefix ?? '') + text], opts))[0];
  }

  async embedTexts(texts: readonly string[], opts: EmbedOptions = {}): Promise<Float32Array[]> {
    const out: Float32Array[] = [];
    for (let start = 0; start < texts.length; start += this.batchSize) {
      out.push(...(await this.request(texts.slice(start, start + this.batchSize), opts.signal)));
    }
    return out;
  }

  private async request(input: string[], signal?: AbortSignal): Promise<Float32Array[]> {
    const retries = this.opts.retries ?? 4;
    let backoff = this.opts.backoffMs ?? 1000;
    const maxBackoff = this.opts.maxBackoffMs ?? 30_000;
    for (let attempt = 0; ; attempt++) {
      signal?.throwIfAborted();
      try {
        return await this.once(input, signal);
      } catch (err) {
        if (!(err instanceof RetryableError)) throw err;
        if (attempt >= retries) {
          throw new EmbedderError(`${err.message} (gave up after ${attempt + 1} attempt${attempt ? 's' : ''})`);
        }
        const wait = Math.min(maxBackoff, err.retryAfterMs ?? backoff);
        backoff = Math.min(maxBackoff, backoff * 2);
        await sleep(wait, signal);
      }
    }
  }

  private async once(input: string[], signal?: AbortSignal): Promise<Float32Array[]> {
    const where = displayUrl(this.endpoint);
    const timeoutMs = this.opts.timeoutMs ?? 60_000;
    const timeout = AbortSignal.timeout(timeoutMs);
    const headers: Record<string, string> = { 'content-type': 'application/json', accept: 'application/json' };
    if (this.opts.apiKey) headers.authorization = `Bearer ${this.opts.apiKey}`;
    this.requests++;
    let res: Response;
    let body: string;
    try {
      res = await fetch(this.endpoint, {
        method: 'POST',
        headers,
        body: JSON.stringify({ model: this.opts.model, input }),
        signal: signal ? AbortSignal.any([signal, timeout]) : timeout,
      });
      body = await res.text();
    } catch (err) {
      if (signal?.aborted) throw signal.reason;
      if (timeout.aborted) throw new RetryableError(`the embeddings endpoint ${where} did not answer within ${timeoutMs} ms`);
      const cause = (err as { cause?: { code?: string; message?: string } }).cause;
      throw new RetryableError(`cannot reach the embeddings endpoint ${where}: ${cause?.code ?? cause?.message ?? (err as Error).message}`);
    }
    const snippet = body.replace(/\s+/g, ' ').slice(0, 200);
    if (res.status === 429 || res.status >= 500) {
      throw new RetryableError(`the embeddings endpoint ${where} answered ${res.status}: ${snippet}`, retryAfter(res.headers.get('retry-after')));
    }
    if (!res.ok) {
      const hint = res.status === 401 || res.status === 403 ? ' (check EMBEDDINGS_API_KEY)' : res.status === 404 ? ' (check EMBEDDINGS_URL and EMBEDDINGS_MODEL)' : '';
      throw new EmbedderError(`the embeddings endpoint ${where} answered ${res.status}${hint}: ${snippet}`);
    }
    let json: unknown;
    try {
      json = JSON.parse(body);
    } catch {
      throw new EmbedderError(`the embeddings endpoint ${where} sent something that is not JSON: ${snippet}`);
    }
    const data = (json as { data?: unknown }).data;
    if (!Array.isArray(data)) {
      throw new EmbedderError(`the embeddings endpoint ${where} sent JSON without a "data" array (not an OpenAI-compatible embeddings answer): ${snippet}`);
    }
    if (data.length !== input.length) {
      throw new EmbedderError(`the embeddings endpoint ${where} sent ${data.length} vectors for ${input.length} texts`);
    }
    const vectors: Float32Array[] = new Array(input.length);
    data.forEach((item: { index?: unknown; embedding?: unknown }, k) => {
      const i = typeof item?.index === 'number' ? item.index : k;
      const e = item?.embedding;
      if (!Array.isArray(e) || e.length === 0 || !e.every((x) => typeof x === 'number' && Number.isFinite(x))) {
        throw new EmbedderError(
          `the embeddings endpoint ${where} sent an item without a list of numbers as "embedding"` +
            (typeof e === 'string' ? ' (a base64 string: the server ignored the float format)' : ''),
        );
      }
      if (!Number.isInteger(i) || i < 0 || i >= input.length || vectors[i]) {
        throw new EmbedderError(`the embeddings endpoint ${where} sent a bad or repeated index ${String(item.index)}`);
      }
      if (this.dim === null) this.dim = e.length;
      if (e.length !== this.dim) {
        throw new EmbedderError(`the embeddings endpoint ${where} sent a vector of dimension ${e.length}, expected ${this.dim} (as the model's other vectors)`);
      }
      vectors[i] = normalizeInPlace(Float32Array.from(e as number[]));
    });
    return vectors;
  }

  async close(): Promise<void> {}
}
