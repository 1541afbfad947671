// EMBEDDER=openai against a local fake /v1/embeddings server: batching, order by index, normalisation, the API
// key, retries on 429/5xx and connection failures, time limits, and a clear error for each kind of bad answer.
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, test } from 'node:test';
import { EmbedderError } from '../../src/search/embedder.ts';
import { embeddingsEndpoint, OpenAiEmbedder } from '../../src/search/embedder-openai.ts';
import { bagOfWords, FakeEmbeddings } from '../helpers/fake-embeddings.ts';
import { closedPort } from '../helpers/replay-server.ts';

const dot = (a: Float32Array, b: Float32Array) => a.reduce((s, x, i) => s + x * b[i], 0);

describe('OpenAI-compatible embedder', () => {
  const fake = new FakeEmbeddings(32);
  let url = '';
  const make = (o: Partial<ConstructorParameters<typeof OpenAiEmbedder>[0]> = {}) =>
    new OpenAiEmbedder({ url, model: 'fake-embed', batchSize: 4, backoffMs: 5, retries: 3, timeoutMs: 2000, ...o });
  before(async () => {
    url = await fake.start();
  });
  beforeEach(() => {
    fake.faults = [];
    fake.requests = [];
    fake.apiKey = null;
  });
  after(() => fake.close());

  test('the endpoint URL: a base URL gets /embeddings, a full one is kept', () => {
    assert.equal(embeddingsEndpoint('http://h:1/v1'), 'http://h:1/v1/embeddings');
    assert.equal(embeddingsEndpoint('http://h:1/v1/'), 'http://h:1/v1/embeddings');
    assert.equal(embeddingsEndpoint('http://h:1/v1/embeddings'), 'http://h:1/v1/embeddings');
  });

  test('batches, keeps the order of the texts, normalises, sends the model and the key', async () => {
    fake.apiKey = 'sk-test-secret';
    const e = make({ apiKey: 'sk-test-secret' });
    const texts = Array.from({ length: 10 }, (_, i) => `text number ${i} about ${i % 2 ? 'graph networks' : 'galaxy telescopes'}`);
    const vecs = await e.embedTexts(texts);
    assert.equal(fake.requests.length, 3, '10 texts in batches of 4');
    assert.deepEqual(fake.requests.map((r) => r.input.length), [4, 4, 2]);
    assert.ok(fake.requests.every((r) => r.model === 'fake-embed' && r.authorization === 'Bearer sk-test-secret'));
    vecs.forEach((v, i) => {
      assert.equal(v.length, 32);
      assert.ok(Math.abs(Math.sqrt(dot(v, v)) - 1) < 1e-5);
      const raw = bagOfWords(texts[i], 32);
      const n = Math.sqrt(raw.reduce((s, x) => s + x * x, 0));
      raw.forEach((x, k) => assert.ok(Math.abs(v[k] - x / n) < 1e-5, `text ${i} in its place`));
    });
    assert.ok(dot(vecs[1], vecs[3]) > dot(vecs[1], vecs[2]), 'shared words are closer');
    assert.equal(e.identity, `openai:fake-embed@${url}/embeddings`);
    const docs = await e.embedDocuments([{ title: 'Graph  networks', abstract: 'about\ngraphs' }]);
    assert.equal(fake.requests.at(-1)!.input[0], 'Graph networks\n\nabout graphs');
    assert.equal(docs.length, 1);
  });

  test('429 and 500 are retried with backoff; a 4xx is not, and its message names the fix without the key', async () => {
    const e = make();
    fake.faults = ['429', '500', '429'];
    const [v] = await e.embedTexts(['galaxy']);
    assert.equal(v.length, 32);
    assert.equal(fake.requests.length, 4, 'three failures, then the answer');
    fake.faults = ['500', '500', '500', '500', '500'];
    fake.requests = [];
    await assert.rejects(e.embedTexts(['galaxy']), (err: Error) => {
      assert.ok(err instanceof EmbedderError);
      assert.match(err.message, /answered 500: model crashed \(gave up after 4 attempts\)/);
      return true;
    });
    assert.equal(fake.requests.length, 4, 'one try and 3 retries');
    fake.apiKey = 'right';
    await assert.rejects(make({ apiKey: 'wrong-key-123' }).embedTexts(['x']), (err: Error) => {
      assert.match(err.message, /answered 401 \(check EMBEDDINGS_API_KEY\)/);
      assert.ok(!err.message.includes('wrong-key-123'), 'the key is not in the message');
      return true;
    });
  });

  test('bad answers: not JSON, no data array, wrong count, wrong dimension', async () => {
    const e = make();
    fake.faults = ['bad-json'];
    await assert.rejects(e.embedTexts(['a']), /sent something that is not JSON: <html>proxy error/);
    fake.faults = ['no-data'];
    await assert.rejects(e.embedTexts(['a']), /without a "data" array/);
    fake.faults = ['count'];
    await assert.rejects(e.embedTexts(['a', 'b']), /sent 1 vectors for 2 texts/);
    // The first answer sets the dimension; a later one that differs is an error.
    const e2 = make();
    fake.faults = ['none', 'wrong-dim'];
    await assert.rejects(e2.embedTexts(Array.from({ length: 8 }, (_, i) => `t${i}`)), /dimension 33, expected 32/);
    // A dimension known in advance (the stored model's) is enforced from the first answer.
    await assert.rejects(make({ dim: 16 }).embedTexts(['x']), /dimension 32, expected 16/);
  });

  test('an unreachable endpoint and one that does not answer in time say so after their retries', async () => {
    const port = await closedPort();
    const t0 = Date.now();
    await assert.rejects(
      new OpenAiEmbedder({ url: `http://127.0.0.1:${port}/v1`, model: 'm', retries: 2, backoffMs: 5 }).embedTexts(['x']),
      (err: Error) => err instanceof EmbedderError && /cannot reach the embeddings endpoint http:\/\/127\.0\.0\.1:\d+\/v1\/embeddings: ECONNREFUSED \(gave up after 3 attempts\)/.test(err.message),
    );
    assert.ok(Date.now() - t0 < 5000);
    fake.faults = ['hang', 'hang'];
    await assert.rejects(make({ timeoutMs: 200, retries: 1 }).embedTexts(['x']), /did not answer within 200 ms \(gave up after 2 attempts\)/);
  });

  test('an abort stops at once', async () => {
    fake.faults = ['hang'];
    const ac = new AbortController();
    const p = make({ timeoutMs: 10_000 }).embedTexts(['x'], { signal: ac.signal });
    setTimeout(() => ac.abort(new Error('stopping')), 50);
    await assert.rejects(p, /stopping/);
  });

  test('throughput against the local fake (client overhead, figure only)', async (t) => {
    const e = make({ batchSize: 64 });
    const texts = Array.from({ length: 2048 }, (_, i) => `paper ${i} on graph neural networks and galaxy surveys`);
    const t0 = performance.now();
    const vecs = await e.embedTexts(texts);
    const s = (performance.now() - t0) / 1000;
    assert.equal(vecs.length, 2048);
    t.diagnostic(`fake OpenAI-compatible endpoint: ${Math.round(2048 / s)} texts/s (batch 64)`);
  });
});
