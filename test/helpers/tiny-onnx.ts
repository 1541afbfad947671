// A tiny sentence-embedding "model" written by the tests themselves (no download): an ONNX graph whose only node
// gathers each token's row from an embedding table (input_ids, attention_mask -> last_hidden_state [batch, seq,
// dim]), a WordPiece tokenizer.json with a small vocabulary, config.json and tokenizer_config.json: the files of a
// sentence-transformers ONNX export. The ONNX protobuf is encoded by hand (a dozen fields of onnx.proto).
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';

function varint(n: number | bigint): Buffer {
  let v = BigInt(n);
  if (v < 0n) v += 1n << 64n; // int64 two's complement: ten bytes
  const out: number[] = [];
  while (v > 127n) {
    out.push(Number(v & 127n) | 128);
    v >>= 7n;
  }
  out.push(Number(v));
  return Buffer.from(out);
}
const key = (field: number, wire: number) => varint((field << 3) | wire);
const int = (field: number, v: number) => Buffer.concat([key(field, 0), varint(v)]);
const bytes = (field: number, b: string | Uint8Array) => {
  const buf = typeof b === 'string' ? Buffer.from(b, 'utf8') : Buffer.from(b);
  return Buffer.concat([key(field, 2), varint(buf.length), buf]);
};
const msg = (...parts: Buffer[]) => Buffer.concat(parts);

const FLOAT = 1;
const INT64 = 7;

/** ModelProto bytes of: last_hidden_state = Gather(table, input_ids); attention_mask is an (unused) input. */
export function gatherModelOnnx(table: Float32Array, vocab: number, dim: number): Buffer {
  const symbolic = (name: string) => bytes(1, msg(bytes(2, name)));
  const fixed = (v: number) => bytes(1, msg(int(1, v)));
  const tensorType = (elem: number, dims: Buffer[]) => bytes(2, msg(bytes(1, msg(int(1, elem), bytes(2, msg(...dims))))));
  const valueInfo = (name: string, elem: number, dims: Buffer[]) => msg(bytes(1, name), tensorType(elem, dims));
  const initializer = msg(int(1, vocab), int(1, dim), int(2, FLOAT), bytes(8, 'table'), bytes(9, new Uint8Array(table.buffer, table.byteOffset, table.byteLength)));
  const axis = msg(bytes(1, 'axis'), int(3, 0), int(20, 2));
  const node = msg(bytes(1, 'table'), bytes(1, 'input_ids'), bytes(2, 'last_hidden_state'), bytes(3, 'gather'), bytes(4, 'Gather'), bytes(5, axis));
  const graph = msg(
    bytes(1, node),
    bytes(2, 'tiny-embedder'),
    bytes(5, initializer),
    bytes(11, valueInfo('input_ids', INT64, [symbolic('batch'), symbolic('sequence')])),
    bytes(11, valueInfo('attention_mask', INT64, [symbolic('batch'), symbolic('sequence')])),
    bytes(12, valueInfo('last_hidden_state', FLOAT, [symbolic('batch'), symbolic('sequence'), fixed(dim)])),
  );
  return msg(int(1, 8), bytes(2, 'paperpulse-tests'), bytes(7, graph), bytes(8, msg(bytes(1, ''), int(2, 13))));
}

/**
 * ModelProto bytes of a BERT-sized stand-in (for throughput only; its vectors mean nothing): token embeddings, then
 * `layers` blocks of single-head self-attention (Q, K, V and output projections, softmax over the sequence) and a
 * `ff`-wide ReLU feed-forward, each with a residual and LayerNormalization. Single-head attention costs the same
 * multiply-adds as multi-head. Weights are seeded pseudo-random.
 */
export function transformerLikeOnnx(vocab: number, hidden: number, ff: number, layers: number, seed = 1): Buffer {
  let s = seed >>> 0;
  const rand = (n: number, scale: number) => {
    const a = new Float32Array(n);
    for (let i = 0; i < n; i++) {
      s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
      a[i] = (s / 2 ** 32 - 0.5) * scale;
    }
    return a;
  };
  const f32 = (field: number, v: number) => {
    const b = Buffer.alloc(4);
    b.writeFloatLE(v);
    return Buffer.concat([key(field, 5), b]);
  };
  const inits: Buffer[] = [];
  const init = (name: string, dims: number[], data: Float32Array) =>
    inits.push(bytes(5, msg(...dims.map((d) => int(1, d)), int(2, FLOAT), bytes(8, name), bytes(9, new Uint8Array(data.buffer)))));
  const nodes: Buffer[] = [];
  let n = 0;
  const node = (op: string, inputs: string[], attrs: Buffer[] = []) => {
    const out = `t${n++}`;
    nodes.push(bytes(1, msg(...inputs.map((i) => bytes(1, i)), bytes(2, out), bytes(3, `n${n}`), bytes(4, op), ...attrs.map((a) => bytes(5, a)))));
    return out;
  };
  const intAttr = (name: string, v: number) => msg(bytes(1, name), int(3, v), int(20, 2));
  const intsAttr = (name: string, v: number[]) => msg(bytes(1, name), ...v.map((x) => int(8, x)), int(20, 7));
  const floatAttr = (name: string, v: number) => msg(bytes(1, name), f32(2, v), int(20, 1));
  init('emb', [vocab, hidden], rand(vocab * hidden, 1));
  init('scale', [], Float32Array.from([1 / Math.sqrt(hidden)]));
  init('gamma', [hidden], new Float32Array(hidden).fill(1));
  init('beta', [hidden], new Float32Array(hidden));
  const w = 1 / Math.sqrt(hidden);
  let x = node('Gather', ['emb', 'input_ids'], [intAttr('axis', 0)]);
  for (let l = 0; l < layers; l++) {
    for (const m of ['q', 'k', 'v', 'o']) init(`w${m}${l}`, [hidden, hidden], rand(hidden * hidden, w));
    init(`w1${l}`, [hidden, ff], rand(hidden * ff, w));
    init(`w2${l}`, [ff, hidden], rand(ff * hidden, 1 / Math.sqrt(ff)));
    const q = node('MatMul', [x, `wq${l}`]);
    const k = node('MatMul', [x, `wk${l}`]);
    const v = node('MatMul', [x, `wv${l}`]);
    const kt = node('Transpose', [k], [intsAttr('perm', [0, 2, 1])]);
    const scores = node('Mul', [node('MatMul', [q, kt]), 'scale']);
    const att = node('MatMul', [node('Softmax', [scores], [intAttr('axis', -1)]), v]);
    const n1 = node('LayerNormalization', [node('Add', [x, node('MatMul', [att, `wo${l}`])]), 'gamma', 'beta'], [intAttr('axis', -1), floatAttr('epsilon', 1e-12)]);
    const f = node('MatMul', [node('Relu', [node('MatMul', [n1, `w1${l}`])]), `w2${l}`]);
    x = node('LayerNormalization', [node('Add', [n1, f]), 'gamma', 'beta'], [intAttr('axis', -1), floatAttr('epsilon', 1e-12)]);
  }
  nodes.push(bytes(1, msg(bytes(1, x), bytes(2, 'last_hidden_state'), bytes(3, 'out'), bytes(4, 'Identity'))));
  const symbolic = (name: string) => bytes(1, msg(bytes(2, name)));
  const fixed = (v: number) => bytes(1, msg(int(1, v)));
  const tensorType = (elem: number, dims: Buffer[]) => bytes(2, msg(bytes(1, msg(int(1, elem), bytes(2, msg(...dims))))));
  const valueInfo = (name: string, elem: number, dims: Buffer[]) => msg(bytes(1, name), tensorType(elem, dims));
  const graph = msg(
    ...nodes,
    bytes(2, 'transformer-like'),
    ...inits,
    bytes(11, valueInfo('input_ids', INT64, [symbolic('batch'), symbolic('sequence')])),
    bytes(11, valueInfo('attention_mask', INT64, [symbolic('batch'), symbolic('sequence')])),
    bytes(12, valueInfo('last_hidden_state', FLOAT, [symbolic('batch'), symbolic('sequence'), fixed(hidden)])),
  );
  return msg(int(1, 8), bytes(2, 'paperpulse-tests'), bytes(7, graph), bytes(8, msg(bytes(1, ''), int(2, 17))));
}

export interface TinyModel {
  dir: string;
  vocab: string[];
  dim: number;
  /** vocab x dim, row-major. */
  table: Float32Array;
  /** Token ids the tokenizer gives a lowercase text of known words ([CLS] ... [SEP], '##s' split off plurals). */
  ids(text: string): number[];
}

export const TINY_WORDS = [
  'graph', 'neural', 'network', 'protein', 'folding', 'language', 'model', 'token', 'galaxy', 'telescope', 'image',
  'segmentation', 'retrieval', 'search', 'paper', 'the', 'of', 'for', 'and', 'a',
];

/**
 * Writes the tiny model into `dir`. Rows are seeded pseudo-random; [PAD]'s row is large, so a pooling that counted
 * padding would visibly change vectors. `sentenceTransformers` adds modules.json / 1_Pooling / sentence_bert_config.
 */
export function writeTinyModel(
  dir: string,
  opts: { dim?: number; seed?: number; pooling?: 'mean' | 'cls'; maxSeqLength?: number; prompts?: Record<string, string> } = {},
): TinyModel {
  const dim = opts.dim ?? 16;
  const vocab = ['[PAD]', '[UNK]', '[CLS]', '[SEP]', ...TINY_WORDS, '##s'];
  let s = (opts.seed ?? 1) >>> 0;
  const rand = () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32 - 0.5;
  };
  const table = new Float32Array(vocab.length * dim);
  for (let i = 0; i < table.length; i++) table[i] = rand();
  for (let d = 0; d < dim; d++) table[d] = 50 * (d % 2 ? 1 : -1); // [PAD]
  mkdirSync(path.join(dir, 'onnx'), { recursive: true });
  writeFileSync(path.join(dir, 'onnx', 'model.onnx'), gatherModelOnnx(table, vocab.length, dim));
  writeFileSync(path.join(dir, 'config.json'), JSON.stringify({ model_type: 'bert', architectures: ['BertModel'], hidden_size: dim, vocab_size: vocab.length }));
  writeFileSync(
    path.join(dir, 'tokenizer_config.json'),
    JSON.stringify({ tokenizer_class: 'BertTokenizer', do_lower_case: true, model_max_length: 512, cls_token: '[CLS]', sep_token: '[SEP]', pad_token: '[PAD]', unk_token: '[UNK]' }),
  );
  const special = (id: number, content: string) => ({ id, content, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true });
  writeFileSync(
    path.join(dir, 'tokenizer.json'),
    JSON.stringify({
      version: '1.0',
      truncation: null,
      padding: null,
      added_tokens: [special(0, '[PAD]'), special(1, '[UNK]'), special(2, '[CLS]'), special(3, '[SEP]')],
      normalizer: { type: 'BertNormalizer', clean_text: true, handle_chinese_chars: true, strip_accents: null, lowercase: true },
      pre_tokenizer: { type: 'BertPreTokenizer' },
      post_processor: {
        type: 'TemplateProcessing',
        single: [{ SpecialToken: { id: '[CLS]', type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } }, { SpecialToken: { id: '[SEP]', type_id: 0 } }],
        pair: [
          { SpecialToken: { id: '[CLS]', type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } }, { SpecialToken: { id: '[SEP]', type_id: 0 } },
          { Sequence: { id: 'B', type_id: 1 } }, { SpecialToken: { id: '[SEP]', type_id: 1 } },
        ],
        special_tokens: { '[CLS]': { id: '[CLS]', ids: [2], tokens: ['[CLS]'] }, '[SEP]': { id: '[SEP]', ids: [3], tokens: ['[SEP]'] } },
      },
      decoder: { type: 'WordPiece', prefix: '##', cleanup: true },
      model: { type: 'WordPiece', unk_token: '[UNK]', continuing_subword_prefix: '##', max_input_chars_per_word: 100, vocab: Object.fromEntries(vocab.map((w, i) => [w, i])) },
    }),
  );
  if (opts.pooling || opts.maxSeqLength || opts.prompts) {
    writeFileSync(
      path.join(dir, 'modules.json'),
      JSON.stringify([
        { idx: 0, name: '0', path: '', type: 'sentence_transformers.models.Transformer' },
        { idx: 1, name: '1', path: '1_Pooling', type: 'sentence_transformers.models.Pooling' },
        { idx: 2, name: '2', path: '2_Normalize', type: 'sentence_transformers.models.Normalize' },
      ]),
    );
    mkdirSync(path.join(dir, '1_Pooling'), { recursive: true });
    writeFileSync(
      path.join(dir, '1_Pooling', 'config.json'),
      JSON.stringify({ word_embedding_dimension: dim, pooling_mode_cls_token: opts.pooling === 'cls', pooling_mode_mean_tokens: opts.pooling !== 'cls', pooling_mode_max_tokens: false }),
    );
    writeFileSync(path.join(dir, 'sentence_bert_config.json'), JSON.stringify({ max_seq_length: opts.maxSeqLength ?? 512, do_lower_case: false }));
    if (opts.prompts) writeFileSync(path.join(dir, 'config_sentence_transformers.json'), JSON.stringify({ prompts: opts.prompts }));
  }
  const index = new Map(vocab.map((w, i) => [w, i]));
  return {
    dir,
    vocab,
    dim,
    table,
    ids(text: string) {
      const out = [2];
      for (const w of text.toLowerCase().split(/[^a-z]+/).filter(Boolean)) {
        if (index.has(w)) out.push(index.get(w)!);
        else if (w.endsWith('s') && index.has(w.slice(0, -1))) out.push(index.get(w.slice(0, -1))!, index.get('##s')!);
        else out.push(1);
      }
      out.push(3);
      return out;
    },
  };
}

/** What mean pooling + L2 normalisation of the table rows of `ids` gives (the reference the tests compare to). */
export function expectedMean(m: TinyModel, ids: number[]): Float32Array {
  const v = new Float32Array(m.dim);
  for (const id of ids) for (let d = 0; d < m.dim; d++) v[d] += m.table[id * m.dim + d];
  let n = 0;
  for (let d = 0; d < m.dim; d++) n += v[d] * v[d];
  for (let d = 0; d < m.dim; d++) v[d] /= Math.sqrt(n);
  return v;
}
