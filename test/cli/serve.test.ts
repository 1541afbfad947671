// `paperpulse serve` as a process: first start on an empty data dir, the health check, the one clear line
// when arXiv cannot be reached, the single-process lock, clean shutdown, and refusing a newer schema.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, test } from 'node:test';
import type { ChildProcess } from 'node:child_process';
import { openDb } from '../../src/db/client.ts';
import { runCli, startCli } from '../helpers/cli.ts';
import { ReplayServer, closedPort } from '../helpers/replay-server.ts';
import { sharedPath, skipWithoutShared } from '../helpers/shared.ts';
import { readFileSync } from 'node:fs';

const tmp = () => mkdtempSync(path.join(os.tmpdir(), 'paperpulse-serve-'));

interface Running {
  child: ChildProcess;
  url: string;
  output: () => string;
  exited: Promise<number | null>;
}

/** Starts serve on a free port and resolves once it logs its address. */
async function startServe(env: Record<string, string>): Promise<Running> {
  const child = startCli(['serve', '--port', '0'], { LOG_LEVEL: 'info', ...env });
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  const exited = new Promise<number | null>((r) => child.on('close', (code) => r(code)));
  const url = await new Promise<string>((resolve, reject) => {
    // A busy machine may need minutes; a serve that never starts is killed so the test process can end.
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`serve did not start:\n${out}`));
    }, 180_000);
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

async function waitFor(cond: () => boolean | Promise<boolean>, ms: number, what: string): Promise<void> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await cond()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what}`);
}

describe('paperpulse serve', () => {
  test('first start: migrates, serves /healthz, says once that arXiv is unreachable, holds the lock, stops cleanly', async () => {
    const dataDir = tmp();
    const port = await closedPort();
    const s = await startServe({
      PAPERPULSE_DATA_DIR: dataDir,
      ARXIV_API_URL: `http://127.0.0.1:${port}/api/query`,
      ARXIV_OAI_URL: `http://127.0.0.1:${port}/oai`,
      ARXIV_REQUEST_INTERVAL: '20ms',
    });
    try {
      const health = await fetch(`${s.url}/healthz`);
      assert.equal(health.status, 200);
      assert.deepEqual(await health.json(), { status: 'ok', database: 'pglite', papers: 0 });

      await waitFor(() => /arXiv cannot be reached/.test(s.output()), 30_000, 'the unreachable message');
      const lines = s.output().split('\n').filter((l) => l.includes('arXiv cannot be reached'));
      assert.equal(lines.length, 1, 'said exactly once');
      assert.match(lines[0], /paperpulse import <file>/, 'and it says how to import a file instead');

      // The embedded database belongs to serve while it runs.
      const other = await runCli(['stats'], { env: { PAPERPULSE_DATA_DIR: dataDir } });
      assert.equal(other.code, 1);
      assert.match(other.stderr, /in use by another paperpulse process \(pid \d+: serve/);

      // Still serving after the failed harvest.
      assert.equal((await fetch(`${s.url}/healthz`)).status, 200);
    } finally {
      s.child.kill('SIGTERM');
    }
    assert.equal(await s.exited, 0, s.output());
    assert.ok(!existsSync(path.join(dataDir, 'db.lock')), 'the lock is released on shutdown');
    const after = await runCli(['stats', '--json'], { env: { PAPERPULSE_DATA_DIR: dataDir } });
    assert.equal(after.code, 0, after.stderr);
    assert.equal(JSON.parse(after.stdout).papers, 0);
  });

  test('on an empty database the first start harvests the configured categories', { skip: skipWithoutShared }, async () => {
    const arxiv = await ReplayServer.start();
    const body = readFileSync(sharedPath('fixtures/arxiv-api/bodies/q_testing_s0_m10_bc5a6c384fe9.atom.xml'), 'utf8');
    const empty = readFileSync(sharedPath('fixtures/arxiv-api/bodies/id_0000.0000_s0_m100_8b51d9633a68.atom.xml'), 'utf8');
    arxiv.route('first page', (q) => q.get('start') === '0', [{ status: 200, body }], { path: '/api/query' });
    arxiv.route('then nothing', (q) => q.get('start') !== '0', [{ status: 200, body: empty }], { path: '/api/query' });
    const dataDir = tmp();
    const s = await startServe({
      PAPERPULSE_DATA_DIR: dataDir,
      ARXIV_API_URL: `${arxiv.url}/api/query`,
      ARXIV_REQUEST_INTERVAL: '20ms',
      PAPERPULSE_CATEGORIES: 'cs.CL,cs.LG',
      PAPERPULSE_INITIAL_DAYS: '3',
    });
    try {
      await waitFor(async () => ((await (await fetch(`${s.url}/healthz`)).json()) as { papers: number }).papers >= 10, 30_000, 'the harvest');
      const q = arxiv.requests[0].params.get('search_query')!;
      assert.match(q, /cat:cs\.CL OR cat:cs\.LG/);
      assert.match(q, /submittedDate:\[\d{12} TO \d{12}\]/);
      assert.match(arxiv.requests[0].userAgent ?? '', /^paperpulse\//);
    } finally {
      s.child.kill('SIGINT');
      await s.exited;
      await arxiv.close();
    }
  });

  test('refuses to run against a schema newer than it knows', async () => {
    const dataDir = tmp();
    const migrated = await runCli(['migrate'], { env: { PAPERPULSE_DATA_DIR: dataDir } });
    assert.equal(migrated.code, 0, migrated.stderr);
    const db = await openDb({ databaseUrl: null, pgliteDir: path.join(dataDir, 'db') });
    await db.query(`INSERT INTO schema_migrations (version, name) VALUES (9999, 'from_the_future')`);
    await db.close();
    const res = await runCli(['serve', '--port', '0'], { env: { PAPERPULSE_DATA_DIR: dataDir, PAPERPULSE_HARVEST: 'false' } });
    assert.equal(res.code, 1);
    assert.match(res.stderr, /schema is at version 9999, but this paperpulse knows migrations only up to \d+/);
  });
});
