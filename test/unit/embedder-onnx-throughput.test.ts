// Opt-in figure (PAPERPULSE_BENCH_ONNX=1 npm test onnx-throughput): how fast the ONNX embedder runs a model of
// all-MiniLM-L6-v2's size (6 layers, hidden 384, feed-forward 1536) on 256-token abstracts on this machine. The
// model is written by the test (test/helpers/tiny-onnx.ts transformerLikeOnnx): its vectors mean nothing, its cost
// is a real model's. Skipped otherwise: it only prints a figure.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { OnnxEmbedder } from '../../src/search/embedder-onnx.ts';
import { TINY_WORDS, transformerLikeOnnx, writeTinyModel } from '../helpers/tiny-onnx.ts';

const skip = process.env.PAPERPULSE_BENCH_ONNX ? false : 'set PAPERPULSE_BENCH_ONNX=1 to measure (a figure, not a check)';

test('ONNX embedder throughput with a MiniLM-sized model on 256-token texts', { skip, timeout: 900_000 }, async (t) => {
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'paperpulse-onnx-bench-'));
  try {
    const m = writeTinyModel(path.join(tmp, 'minilm-sized'), { dim: 384 });
    writeFileSync(path.join(m.dir, 'onnx', 'model.onnx'), transformerLikeOnnx(m.vocab.length, 384, 1536, 6));
    const texts = Array.from({ length: 64 }, (_, i) => Array.from({ length: 254 }, (_, k) => TINY_WORDS[(i * 7 + k * 3) % TINY_WORDS.length]).join(' '));
    for (const threads of [1, availableParallelism()]) {
      const e = await OnnxEmbedder.open(m.dir, { threads, batchSize: 16 });
      try {
        await e.embedTexts(texts.slice(0, 16)); // warm-up
        const t0 = performance.now();
        const v = await e.embedTexts(texts);
        const s = (performance.now() - t0) / 1000;
        assert.equal(v[0].length, 384);
        const rate = texts.length / s;
        t.diagnostic(`${threads} thread(s): ${rate.toFixed(1)} texts/s of 256 tokens; 57,283 papers would take ${(57283 / rate / 60).toFixed(0)} min`);
      } finally {
        await e.close();
      }
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
});
