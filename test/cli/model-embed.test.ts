// The embedder options and `paperpulse model embed` as a user runs them: configuration checked at start with clear
// messages, `model train` refused with an external embedder, a full embed with a generated ONNX model folder,
// `--missing` for papers imported later, `model status`, and an unreachable endpoint that changes nothing.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { runCli } from '../helpers/cli.ts';
import { closedPort } from '../helpers/replay-server.ts';
import { syntheticPapers, writeJsonl } from '../helpers/synthetic-papers.ts';
import { writeTinyModel } from '../helpers/tiny-onnx.ts';

/** A busy machine (tests in parallel on 2 cores) can take a minute to open a fresh embedded database. */
const SLOW = 300_000;

describe('embedder configuration and paperpulse model embed', () => {
  let tmp: string;
  let modelDir: string;
  let dataDir: string;
  const env = () => ({ PAPERPULSE_DATA_DIR: dataDir, PAPERPULSE_PROGRESS_INTERVAL: '0' });
  before(() => {
    tmp = mkdtempSync(path.join(os.tmpdir(), 'paperpulse-embed-cli-'));
    modelDir = writeTinyModel(path.join(tmp, 'tiny-model'), { dim: 32 }).dir;
    dataDir = path.join(tmp, 'data');
  });
  after(() => rmSync(tmp, { recursive: true, force: true }));

  test('bad embedder settings stop the command before it opens the database, each named', async () => {
    const r = await runCli(['model', 'embed'], { env: { ...env(), EMBEDDER: 'openai', EMBEDDINGS_BATCH: '0' }, timeoutMs: SLOW });
    assert.equal(r.code, 2);
    assert.match(r.stderr, /EMBEDDINGS_BATCH: 0 is outside 1\.\.2048/);
    assert.match(r.stderr, /EMBEDDER=openai needs EMBEDDINGS_URL/);
    assert.match(r.stderr, /EMBEDDER=openai needs EMBEDDINGS_MODEL/);
  });

  test('model embed with an ONNX folder embeds every paper, switches, and --missing adds later papers', async () => {
    const file = path.join(tmp, 'papers.jsonl');
    writeJsonl(file, syntheticPapers(60));
    assert.equal((await runCli(['import', file], { env: env(), timeoutMs: SLOW })).code, 0);
    const onnxEnv = { ...env(), EMBEDDER: 'onnx', EMBEDDER_MODEL_DIR: modelDir };

    const train = await runCli(['model', 'train'], { env: onnxEnv, timeoutMs: SLOW });
    assert.equal(train.code, 2);
    assert.match(train.stderr, /EMBEDDER=onnx: .*nothing to train\. Run "paperpulse model embed"/);

    const embed = await runCli(['model', 'embed', '--json'], { env: onnxEnv, timeoutMs: SLOW });
    assert.equal(embed.code, 0, embed.stderr);
    const s = JSON.parse(embed.stdout);
    assert.equal(s.papers, 60);
    assert.equal(s.dim, 32);
    assert.match(s.embedder, /^onnx:tiny-model:[0-9a-f]{16}$/);
    assert.match(s.version, /^onnx-tiny-model-\d{8}T\d{6}Z-n60$/);
    assert.match(embed.stderr, /embed: stage embedding, detail 60 of 60 papers/, 'progress without a terminal');

    const status = await runCli(['model', 'status'], { env: onnxEnv, timeoutMs: SLOW });
    assert.match(status.stdout, /^\* onnx-tiny-model-\S+ {2}onnx {2}60 vectors \(made on 60 papers\) {2}dim 32 {2}onnx:tiny-model:/m);

    const more = path.join(tmp, 'more.jsonl');
    writeJsonl(more, syntheticPapers(5, 60));
    assert.equal((await runCli(['import', more], { env: env(), timeoutMs: SLOW })).code, 0);
    const missing = await runCli(['model', 'embed', '--missing'], { env: onnxEnv, timeoutMs: SLOW });
    assert.equal(missing.code, 0, missing.stderr);
    assert.match(missing.stdout, /Embedded 5 papers that had no vector/);

    // The built-in model is trained, not embedded.
    const builtin = await runCli(['model', 'embed'], { env: env(), timeoutMs: SLOW });
    assert.equal(builtin.code, 2);
    assert.match(builtin.stderr, /Run "paperpulse model train"/);
  });

  test('an unreachable endpoint fails clearly and leaves the active vectors', async () => {
    const port = await closedPort();
    const r = await runCli(['model', 'embed'], {
      timeoutMs: SLOW,
      env: { ...env(), EMBEDDER: 'openai', EMBEDDINGS_URL: `http://127.0.0.1:${port}/v1`, EMBEDDINGS_MODEL: 'm', EMBEDDINGS_RETRIES: '0' },
    });
    assert.equal(r.code, 1);
    assert.match(r.stderr, new RegExp(`paperpulse: cannot reach the embeddings endpoint http://127\\.0\\.0\\.1:${port}/v1/embeddings: ECONNREFUSED`));
    assert.doesNotMatch(r.stderr, /at .*\.ts:\d+/, 'no stack trace');
    const status = await runCli(['model', 'status'], { env: env(), timeoutMs: SLOW });
    assert.match(status.stdout, /^\* onnx-tiny-model-\S+ {2}onnx {2}65 vectors/m);
  });
});
