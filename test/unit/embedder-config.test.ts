// The embedder options of src/config.ts: defaults, each bad value named with its variable, options that need each
// other, the API key masked and readable from a file.
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { ConfigError, describeConfig, loadConfig } from '../../src/config.ts';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'paperpulse-embedder-config-'));
after(() => rmSync(tmp, { recursive: true, force: true }));
const load = (env: Record<string, string>) => loadConfig({ env: { SECRET_KEY: 'k'.repeat(40), PAPERPULSE_DATA_DIR: tmp, ...env }, ensureDataDir: false });
function problems(env: Record<string, string>): string[] {
  try {
    load(env);
  } catch (err) {
    assert.ok(err instanceof ConfigError);
    return err.problems;
  }
  assert.fail(`accepted ${JSON.stringify(env)}`);
}

test('defaults: the built-in model, endpoint batches of 64, 60 s, 4 retries', () => {
  const c = load({});
  assert.equal(c.embedder, 'builtin');
  assert.equal(c.embedderModelDir, null);
  assert.deepEqual([c.embeddingsBatch, c.embeddingsTimeoutMs, c.embeddingsRetries], [64, 60_000, 4]);
});

test('every bad embedder value is reported, each naming its variable', () => {
  assert.deepEqual(problems({ EMBEDDER: 'bert' }), ['EMBEDDER: "bert" is not builtin, onnx or openai']);
  assert.deepEqual(problems({ EMBEDDER: 'onnx' }), ['EMBEDDER=onnx needs EMBEDDER_MODEL_DIR (the model folder)']);
  assert.match(problems({ EMBEDDER: 'onnx', EMBEDDER_MODEL_DIR: path.join(tmp, 'nope') })[0], /^EMBEDDER_MODEL_DIR: .*nope does not exist$/);
  assert.match(
    problems({ EMBEDDER: 'onnx', EMBEDDER_MODEL_DIR: tmp })[0],
    /is not an ONNX sentence-embedding model folder: config\.json, tokenizer\.json, onnx\/model\.onnx missing$/,
  );
  assert.deepEqual(problems({ EMBEDDER: 'openai' }), [
    'EMBEDDER=openai needs EMBEDDINGS_URL (e.g. http://127.0.0.1:11434/v1)',
    'EMBEDDER=openai needs EMBEDDINGS_MODEL (the model name the endpoint serves)',
  ]);
  assert.deepEqual(
    problems({ EMBEDDER: 'openai', EMBEDDINGS_URL: 'ftp://x', EMBEDDINGS_MODEL: 'm', EMBEDDINGS_BATCH: '0', EMBEDDINGS_TIMEOUT: 'soon', EMBEDDINGS_RETRIES: '99' }),
    ['EMBEDDINGS_URL: must use http: or https: (got ftp:)', 'EMBEDDINGS_BATCH: 0 is outside 1..2048', 'EMBEDDINGS_TIMEOUT: "soon" is not a duration (e.g. 3s, 500ms)', 'EMBEDDINGS_RETRIES: 99 is outside 0..10'],
  );
});

test('a model folder with the export files is accepted; the API key is a masked secret with a _FILE variant', () => {
  const dir = path.join(tmp, 'model');
  mkdirSync(path.join(dir, 'onnx'), { recursive: true });
  for (const f of ['config.json', 'tokenizer.json', 'onnx/model.onnx']) writeFileSync(path.join(dir, f), '{}');
  assert.equal(load({ EMBEDDER: 'ONNX', EMBEDDER_MODEL_DIR: dir }).embedderModelDir, dir);
  const keyFile = path.join(tmp, 'key');
  writeFileSync(keyFile, 'sk-secret-from-file\n');
  const c = load({ EMBEDDER: 'openai', EMBEDDINGS_URL: 'http://127.0.0.1:11434/v1/', EMBEDDINGS_MODEL: 'nomic-embed-text', EMBEDDINGS_API_KEY_FILE: keyFile, EMBEDDINGS_TIMEOUT: '2m' });
  assert.equal(c.embeddingsApiKey, 'sk-secret-from-file');
  assert.equal(c.embeddingsUrl, 'http://127.0.0.1:11434/v1');
  assert.equal(c.embeddingsTimeoutMs, 120_000);
  const shown = Object.fromEntries(describeConfig(c).map((r) => [r.env, r.value]));
  assert.equal(shown.EMBEDDINGS_API_KEY, '****');
  assert.equal(shown.EMBEDDER, 'openai');
});
