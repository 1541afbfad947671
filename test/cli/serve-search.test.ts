// `paperpulse serve` keeps the search vectors current in the background:
// - with EMBEDDER=openai (a local fake endpoint) it embeds every paper on start and similar papers use those vectors;
// - with the built-in model, once the corpus has grown by 20% it retrains in a worker thread: the server keeps
//   answering /healthz while the training runs, and the new model serves similar papers after the switch.
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { runCli, startCli } from '../helpers/cli.ts';
import { FakeEmbeddings } from '../helpers/fake-embeddings.ts';
import { syntheticPapers, writeJsonl } from '../helpers/synthetic-papers.ts';

/** A busy machine (tests in parallel on 2 cores) can take a minute to open a fresh embedded database. */
const SLOW = 300_000;

interface Running {
  child: ChildProcess;
  url: string;
  output: () => string;
  exited: Promise<number | null>;
}

async function startServe(env: Record<string, string>): Promise<Running> {
  const child = startCli(['serve', '--port', '0'], { LOG_LEVEL: 'info', PAPERPULSE_HARVEST: 'false', ...env });
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  const exited = new Promise<number | null>((r) => child.on('close', (code) => r(code)));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => {
      // Don't leave it running: it would keep this test process alive.
      child.kill('SIGKILL');
      reject(new Error(`serve did not start:\n${out}`));
    }, SLOW);
    const check = () => {
      const m = /serving on (http:\/\/[\d.:]+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    };
    child.stdout!.on('data', check);
    child.on('close', () => {
      clearTimeout(timer);
      reject(new Error(`serve exited early:\n${out}`));
    });
  });
  return { child, url, output: () => out, exited };
}

async function waitFor(cond: () => boolean | Promise<boolean>, ms: number, what: string, output: () => string): Promise<void> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await cond()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what}:\n${output()}`);
}

interface SimilarAnswer {
  model: string | null;
  papers: { id: string; categories?: string[] }[];
}

describe('serve: search vectors in the background', () => {
  let tmp: string;
  before(() => {
    tmp = mkdtempSync(path.join(os.tmpdir(), 'paperpulse-serve-search-'));
  });
  after(() => rmSync(tmp, { recursive: true, force: true }));

  test('EMBEDDER=openai: serve embeds every paper with the endpoint and similar papers use its vectors', async () => {
    const fake = new FakeEmbeddings(48);
    await fake.start();
    const dataDir = path.join(tmp, 'openai');
    const file = path.join(tmp, 'openai.jsonl');
    const papers = syntheticPapers(40);
    writeJsonl(file, papers);
    assert.equal((await runCli(['import', file], { env: { PAPERPULSE_DATA_DIR: dataDir }, timeoutMs: SLOW })).code, 0);
    const s = await startServe({ PAPERPULSE_DATA_DIR: dataDir, EMBEDDER: 'openai', EMBEDDINGS_URL: fake.url, EMBEDDINGS_MODEL: 'fake-embed' });
    try {
      await waitFor(() => /search vectors switched to the configured embedder/.test(s.output()), SLOW, 'the embedding', s.output);
      assert.ok(fake.requests.length >= 1);
      const res = await fetch(`${s.url}/api/v1/papers/${papers[3].id}/similar?limit=5`);
      assert.equal(res.status, 200);
      const body = (await res.json()) as SimilarAnswer;
      assert.match(body.model ?? '', /^openai-fake-embed-\d{8}T\d{6}Z-n40$/);
      assert.equal(body.papers.length, 5);
      const cat = papers[3].categories[0];
      const same = body.papers.filter((p) => papers.find((x) => x.id === p.id)!.categories[0] === cat).length;
      assert.ok(same >= 4, `${same} of 5 similar papers share the topic`);
    } finally {
      s.child.kill('SIGTERM');
      const code = await s.exited;
      await fake.close();
      assert.equal(code, 0, s.output());
    }
  });

  test('built-in: serve retrains in a worker thread once the corpus grew by 20%, answering meanwhile, then uses the new model', async (t) => {
    const dataDir = path.join(tmp, 'builtin');
    const env = { PAPERPULSE_DATA_DIR: dataDir };
    const first = path.join(tmp, 'first.jsonl');
    writeJsonl(first, syntheticPapers(850));
    assert.equal((await runCli(['import', first], { env, timeoutMs: SLOW })).code, 0);
    const trained = await runCli(['model', 'train', '--epochs', '1', '--threads', '1', '--json'], { env, timeoutMs: SLOW });
    assert.equal(trained.code, 0, trained.stderr);
    const old = JSON.parse(trained.stdout) as { version: string };
    const more = path.join(tmp, 'more.jsonl');
    writeJsonl(more, syntheticPapers(200, 850));
    assert.equal((await runCli(['import', more], { env, timeoutMs: SLOW })).code, 0);

    const s = await startServe(env);
    try {
      const paper = syntheticPapers(1, 900)[0].id;
      const before1 = (await (await fetch(`${s.url}/api/v1/papers/${paper}/similar`)).json()) as SimilarAnswer & { message?: string };
      assert.equal(before1.model, old.version, 'the old model serves until the switch');
      assert.equal(before1.papers.length, 0, 'a paper imported after it has no vector under it');

      await waitFor(() => /retraining the search model/.test(s.output()), SLOW, 'the retraining to start', s.output);
      // While the worker trains, the server answers.
      let answered = 0;
      let failed = 0;
      let slowest = 0;
      const started = Date.now();
      while (!/search model retrained|search model retraining failed/.test(s.output())) {
        const t0 = Date.now();
        try {
          const r = await fetch(`${s.url}/healthz`, { signal: AbortSignal.timeout(30_000) });
          if (r.status === 200 && !/search model retrained/.test(s.output())) {
            answered++;
            slowest = Math.max(slowest, Date.now() - t0);
          }
          await r.arrayBuffer();
        } catch {
          failed++;
        }
        await new Promise((r) => setTimeout(r, Math.max(0, 100 - (Date.now() - t0))));
        if (answered + failed > 6000) break;
      }
      assert.match(s.output(), /search model retrained/, 'the training finished');
      t.diagnostic(`during ${((Date.now() - started) / 1000).toFixed(1)} s of training: ${answered} /healthz answers, slowest ${slowest} ms (figure only)`);
      assert.ok(answered >= 1, `serve answered /healthz while training (${answered} answers, ${failed} failures)`);
      assert.equal(failed, 0);

      const after1 = (await (await fetch(`${s.url}/api/v1/papers/${paper}/similar`)).json()) as SimilarAnswer;
      assert.match(after1.model ?? '', /^static-\d{8}T\d{6}Z-s42-n1050$/);
      assert.notEqual(after1.model, old.version);
      assert.equal(after1.papers.length, 10, 'the new model has a vector for the paper');
    } finally {
      s.child.kill('SIGTERM');
      assert.equal(await s.exited, 0, s.output());
    }
  });
});
