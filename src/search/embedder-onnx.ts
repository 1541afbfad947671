// EMBEDDER=onnx: a local sentence-transformers ONNX export (config.json, tokenizer.json, onnx/model.onnx) run by
// @huggingface/transformers on onnxruntime-node. Nothing is ever fetched: remote models are disabled, the folder is
// given as a path, and only files in it are read. The sentence-transformers metadata, when the folder has it, decides
// pooling (1_Pooling/config.json: mean, CLS, max or last token), the maximum length (sentence_bert_config.json) and
// the query/document prompts (config_sentence_transformers.json); without it, mean pooling over the attention mask.
// Vectors are L2-normalised here whatever the export does.
import { createHash } from 'node:crypto';
import { createReadStream, existsSync, readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import path from 'node:path';
import { EmbedderError, normalizeInPlace, paperDocument, type EmbedOptions, type Embedder, type PaperText } from './embedder.ts';

export type Pooling = 'mean' | 'cls' | 'max' | 'lasttoken';

export interface OnnxEmbedderOptions {
  /** Texts per inference (default 16). */
  batchSize?: number;
  /** onnxruntime intra-op threads (default: the cores, less one, at least 1). */
  threads?: number;
}

/** What the folder says about how to use the model (sentence-transformers files, all optional). */
export interface SentenceTransformersInfo {
  pooling: Pooling;
  maxLength: number | null;
  documentPrefix: string;
  queryPrefix: string;
}

function readJson(file: string): Record<string, unknown> | null {
  if (!existsSync(file)) return null;
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
  } catch (err) {
    throw new EmbedderError(`${file} is not valid JSON: ${(err as Error).message}`);
  }
}

/** Reads modules.json / 1_Pooling / sentence_bert_config.json / config_sentence_transformers.json. */
export function readSentenceTransformersInfo(dir: string): SentenceTransformersInfo {
  let pooling: Pooling = 'mean';
  const modules = readJson(path.join(dir, 'modules.json')) as unknown as { type?: string; path?: string }[] | null;
  const poolingDir = Array.isArray(modules) ? modules.find((m) => m.type?.endsWith('Pooling'))?.path : undefined;
  const pc = readJson(path.join(dir, poolingDir ?? '1_Pooling', 'config.json'));
  if (pc) {
    if (pc.pooling_mode_cls_token) pooling = 'cls';
    else if (pc.pooling_mode_lasttoken) pooling = 'lasttoken';
    else if (pc.pooling_mode_max_tokens && !pc.pooling_mode_mean_tokens) pooling = 'max';
    else pooling = 'mean';
  }
  const sb = readJson(path.join(dir, 'sentence_bert_config.json'));
  const maxLength = typeof sb?.max_seq_length === 'number' && sb.max_seq_length > 0 ? sb.max_seq_length : null;
  const st = readJson(path.join(dir, 'config_sentence_transformers.json'));
  const prompts = (st?.prompts ?? {}) as Record<string, unknown>;
  const str = (v: unknown) => (typeof v === 'string' ? v : '');
  return {
    pooling,
    maxLength,
    documentPrefix: str(prompts.document) || str(prompts.passage) || str(prompts.doc),
    queryPrefix: str(prompts.query),
  };
}

async function sha256File(file: string): Promise<string> {
  const h = createHash('sha256');
  for await (const chunk of createReadStream(file)) h.update(chunk as Buffer);
  return h.digest('hex');
}

/** Pools token vectors [batch, seq, dim] into one vector per text, honouring the attention mask. Pure. */
export function poolTokens(
  hidden: Float32Array,
  dims: readonly number[],
  mask: ArrayLike<bigint | number>,
  pooling: Pooling,
): Float32Array[] {
  const [b, s, d] = dims;
  const out: Float32Array[] = [];
  for (let i = 0; i < b; i++) {
    const v = new Float32Array(d);
    const on = (t: number) => Number(mask[i * s + t]) !== 0;
    if (pooling === 'cls') {
      v.set(hidden.subarray(i * s * d, i * s * d + d));
    } else if (pooling === 'lasttoken') {
      let last = 0;
      for (let t = 0; t < s; t++) if (on(t)) last = t;
      v.set(hidden.subarray((i * s + last) * d, (i * s + last) * d + d));
    } else if (pooling === 'max') {
      v.fill(-Infinity);
      let any = false;
      for (let t = 0; t < s; t++) {
        if (!on(t)) continue;
        any = true;
        const o = (i * s + t) * d;
        for (let k = 0; k < d; k++) if (hidden[o + k] > v[k]) v[k] = hidden[o + k];
      }
      if (!any) v.fill(0);
    } else {
      let n = 0;
      for (let t = 0; t < s; t++) {
        if (!on(t)) continue;
        n++;
        const o = (i * s + t) * d;
        for (let k = 0; k < d; k++) v[k] += hidden[o + k];
      }
      if (n > 0) for (let k = 0; k < d; k++) v[k] /= n;
    }
    out.push(normalizeInPlace(v));
  }
  return out;
}

// The parts of @huggingface/transformers used here (loaded lazily: only EMBEDDER=onnx pays for it).
interface HfTensor {
  data: ArrayLike<number | bigint>;
  dims: number[];
}
interface HfTokenizer {
  encode(text: string): number[];
  pad_token_id?: number;
  model_max_length?: number;
}
type HfTensorClass = new (type: 'int64', data: BigInt64Array, dims: number[]) => HfTensor;
interface HfModel {
  (inputs: Record<string, HfTensor>): Promise<Record<string, HfTensor>>;
  dispose(): Promise<unknown>;
}

export class OnnxEmbedder implements Embedder {
  readonly kind = 'onnx' as const;
  readonly name: string;
  private queue: Promise<unknown> = Promise.resolve();

  private constructor(
    readonly dir: string,
    readonly identity: string,
    readonly label: string,
    readonly batchSize: number,
    readonly info: SentenceTransformersInfo,
    /** Tokens per text at most, special tokens included. */
    readonly maxLength: number,
    private readonly tokenizer: HfTokenizer,
    private readonly model: HfModel,
    private readonly Tensor: HfTensorClass,
    /** Special tokens the tokenizer puts after a text ([SEP], </s>): kept when a long text is cut. */
    private readonly tailSpecials: number,
  ) {
    this.name = path.basename(dir);
  }

  /** Loads the model in `dir`; throws EmbedderError saying what is wrong with the folder. */
  static async open(dir: string, opts: OnnxEmbedderOptions = {}): Promise<OnnxEmbedder> {
    const abs = path.resolve(dir);
    if (!existsSync(abs)) throw new EmbedderError(`the ONNX model folder ${abs} does not exist`);
    const inSub = existsSync(path.join(abs, 'onnx', 'model.onnx'));
    const onnxFile = inSub ? path.join(abs, 'onnx', 'model.onnx') : path.join(abs, 'model.onnx');
    const missing = ['config.json', 'tokenizer.json'].filter((f) => !existsSync(path.join(abs, f)));
    if (!existsSync(onnxFile)) missing.push('onnx/model.onnx');
    if (missing.length) throw new EmbedderError(`${abs} is not an ONNX sentence-embedding model folder: ${missing.join(', ')} missing`);
    const info = readSentenceTransformersInfo(abs);
    const hf = await import('@huggingface/transformers');
    // Never reach a hub: local files only, no cache writes.
    hf.env.allowRemoteModels = false;
    hf.env.allowLocalModels = true;
    hf.env.useFSCache = false;
    hf.env.useBrowserCache = false;
    const threads = opts.threads ?? Math.max(1, availableParallelism() - 1);
    let tokenizer: HfTokenizer;
    let model: HfModel;
    try {
      tokenizer = (await hf.AutoTokenizer.from_pretrained(abs, { local_files_only: true })) as unknown as HfTokenizer;
      model = (await hf.AutoModel.from_pretrained(abs, {
        local_files_only: true,
        dtype: 'fp32',
        device: 'cpu',
        subfolder: inSub ? 'onnx' : '',
        session_options: { intraOpNumThreads: threads, interOpNumThreads: 1 },
      })) as unknown as HfModel;
    } catch (err) {
      throw new EmbedderError(`cannot load the ONNX model in ${abs}: ${(err as Error).message}`, { cause: err });
    }
    const hash = await sha256File(onnxFile);
    const identity = `onnx:${path.basename(abs)}:${hash.slice(0, 16)}`;
    const tokMax = tokenizer.model_max_length;
    const maxLength = info.maxLength ?? (typeof tokMax === 'number' && tokMax > 0 && tokMax < 100_000 ? Math.min(tokMax, 8192) : 512);
    // How many special tokens follow a text: compare the ids of '' and of one word.
    const empty = tokenizer.encode('');
    const word = tokenizer.encode('a');
    let head = 0;
    while (head < empty.length && empty[head] === word[head]) head++;
    const tail = empty.length - head;
    return new OnnxEmbedder(
      abs, identity, `ONNX ${path.basename(abs)}`, opts.batchSize ?? 16, info, maxLength, tokenizer, model,
      hf.Tensor as unknown as HfTensorClass, tail,
    );
  }

  async embedDocuments(docs: readonly PaperText[], opts: EmbedOptions = {}): Promise<Float32Array[]> {
    return this.embedTexts(docs.map((d) => this.info.documentPrefix + paperDocument(d)), opts);
  }

  async embedQuery(text: string, opts: EmbedOptions = {}): Promise<Float32Array> {
    return (await this.embedTexts([this.info.queryPrefix + text], opts))[0];
  }

  /** Texts in batches of similar length (less padding), one inference at a time. */
  async embedTexts(texts: readonly string[], opts: EmbedOptions = {}): Promise<Float32Array[]> {
    const run = this.queue.then(async () => {
      const order = texts.map((t, i) => i).sort((a, b) => texts[a].length - texts[b].length);
      const out: Float32Array[] = new Array(texts.length);
      for (let start = 0; start < order.length; start += this.batchSize) {
        opts.signal?.throwIfAborted();
        const idx = order.slice(start, start + this.batchSize);
        const vecs = await this.infer(idx.map((i) => texts[i]));
        idx.forEach((i, k) => (out[i] = vecs[k]));
      }
      return out;
    });
    this.queue = run.catch(() => {});
    return run;
  }

  /** Token ids of a text, cut to maxLength keeping the trailing special tokens (as Python's tokenizers do). */
  tokenIds(text: string): number[] {
    const ids = this.tokenizer.encode(text);
    if (ids.length <= this.maxLength) return ids;
    const tail = Math.min(this.tailSpecials, this.maxLength - 1);
    return [...ids.slice(0, this.maxLength - tail), ...ids.slice(ids.length - tail)];
  }

  private async infer(texts: string[]): Promise<Float32Array[]> {
    const rows = texts.map((t) => this.tokenIds(t));
    const seq = Math.max(1, ...rows.map((r) => r.length));
    const ids = new BigInt64Array(rows.length * seq).fill(BigInt(this.tokenizer.pad_token_id ?? 0));
    const mask = new BigInt64Array(rows.length * seq);
    rows.forEach((r, i) =>
      r.forEach((id, t) => {
        ids[i * seq + t] = BigInt(id);
        mask[i * seq + t] = 1n;
      }),
    );
    const dims = [rows.length, seq];
    // Models that take token_type_ids get zeros (one segment); transformers passes each model only its inputs.
    const enc = {
      input_ids: new this.Tensor('int64', ids, dims),
      attention_mask: new this.Tensor('int64', mask, dims),
      token_type_ids: new this.Tensor('int64', new BigInt64Array(rows.length * seq), dims),
    };
    let outputs: Record<string, HfTensor>;
    try {
      outputs = await this.model(enc);
    } catch (err) {
      throw new EmbedderError(`the ONNX model in ${this.dir} failed: ${(err as Error).message}`, { cause: err });
    }
    const pooled = outputs.sentence_embedding;
    if (pooled && pooled.dims.length === 2) {
      const [b, d] = pooled.dims;
      const data = Float32Array.from(pooled.data as ArrayLike<number>);
      return Array.from({ length: b }, (_, i) => normalizeInPlace(data.slice(i * d, (i + 1) * d)));
    }
    const hidden = outputs.last_hidden_state ?? outputs.token_embeddings;
    if (!hidden || hidden.dims.length !== 3) {
      throw new EmbedderError(
        `the ONNX model in ${this.dir} has no last_hidden_state, token_embeddings or sentence_embedding output ` +
          `(it has ${Object.keys(outputs).join(', ') || 'none'})`,
      );
    }
    const data = hidden.data instanceof Float32Array ? hidden.data : Float32Array.from(hidden.data as ArrayLike<number>);
    return poolTokens(data, hidden.dims, enc.attention_mask.data, this.info.pooling);
  }

  async close(): Promise<void> {
    await this.queue;
    await this.model.dispose();
  }
}
