// `paperpulse import`, run as a user runs it: a child process on a data directory (embedded database)
// and, when TEST_DATABASE_URL is set, on a fresh database on the PostgreSQL server.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { BIN, runCli } from '../helpers/cli.ts';
import { createServerDatabase } from '../helpers/db.ts';
import { jsonlLine } from '../helpers/records.ts';
import { projectRoot, sharedPath, skipWithoutShared } from '../helpers/shared.ts';

const tmp = () => mkdtempSync(path.join(os.tmpdir(), 'paperpulse-import-'));

interface Target {
  name: string;
  skip: string | false;
  /** Fresh environment (data dir, and DATABASE_URL for the server) for one scenario. */
  env: () => Promise<Record<string, string>>;
}

const drops: (() => Promise<void>)[] = [];
after(async () => {
  for (const d of drops) await d();
});

const targets: Target[] = [
  { name: 'pglite', skip: false, env: async () => ({ PAPERPULSE_DATA_DIR: tmp() }) },
  {
    name: 'postgres',
    skip: process.env.TEST_DATABASE_URL ? false : 'skipped: TEST_DATABASE_URL is not set (no PostgreSQL server)',
    env: async () => {
      const created = await createServerDatabase(process.env.TEST_DATABASE_URL!);
      drops.push(created.drop);
      return { PAPERPULSE_DATA_DIR: tmp(), DATABASE_URL: created.url };
    },
  },
];

async function stats(env: Record<string, string>): Promise<{ papers: number; byCategory: { category: string }[] }> {
  const res = await runCli(['stats', '--json'], { env });
  assert.equal(res.code, 0, res.stderr);
  return JSON.parse(res.stdout);
}

for (const target of targets) {
  describe(`paperpulse import [${target.name}]`, { skip: target.skip }, () => {
    test('imports good lines, reports bad ones with line and field, and is idempotent', async () => {
      const env = await target.env();
      const dir = tmp();
      const file = path.join(dir, 'papers.jsonl');
      const lines = Array.from({ length: 30 }, (_, i) => jsonlLine(i));
      lines.push('{"id": "2507.99999", "title": "broken');
      lines.push(jsonlLine(31, { title: '' }));
      lines.push(jsonlLine(32, { first_listed: '2025-02-30' }));
      writeFileSync(file, lines.join('\n') + '\n');

      const first = await runCli(['import', file, '--json'], { env });
      assert.equal(first.code, 1, 'rejected records make the command fail');
      assert.deepEqual(JSON.parse(first.stdout), {
        read: 33, inserted: 30, updated: 0, unchanged: 0, rejected: 3, format: 'jsonl',
      });
      assert.match(first.stderr, new RegExp(`${file}:31: \\(json\\)`));
      assert.match(first.stderr, new RegExp(`${file}:32: title is missing`));
      assert.match(first.stderr, new RegExp(`${file}:33: first_listed "2025-02-30" is not a YYYY-MM-DD date`));

      const again = await runCli(['import', file, '--json'], { env });
      assert.deepEqual(JSON.parse(again.stdout), {
        read: 33, inserted: 0, updated: 0, unchanged: 30, rejected: 3, format: 'jsonl',
      });
      assert.equal((await stats(env)).papers, 30);
    });

    test('--strict aborts at the first bad record and changes nothing', async () => {
      const env = await target.env();
      const file = path.join(tmp(), 'strict.jsonl');
      const lines = Array.from({ length: 2500 }, (_, i) => jsonlLine(i));
      lines.splice(2200, 0, jsonlLine(9999, { authors: 'not a list' }));
      writeFileSync(file, lines.join('\n'));
      const res = await runCli(['import', file, '--strict', '--batch-size', '500'], { env });
      assert.equal(res.code, 1);
      assert.match(res.stderr, /:2201: authors must be a list of names/);
      assert.match(res.stderr, /--strict: the import was aborted and nothing was written/);
      assert.equal((await stats(env)).papers, 0, 'the 2,200 good records before it were rolled back');
    });

    test('reads gzip from standard input', async () => {
      const env = await target.env();
      const body = gzipSync(Array.from({ length: 12 }, (_, i) => jsonlLine(i)).join('\n'));
      const res = await runCli(['import', '-', '--json'], { env, input: body });
      assert.equal(res.code, 0, res.stderr);
      assert.equal(JSON.parse(res.stdout).inserted, 12);
    });
  });
}

describe('paperpulse import: bad input', () => {
  test('a missing file, an empty file and an unknown format each get a clear message', async () => {
    const env = { PAPERPULSE_DATA_DIR: tmp() };
    const dir = tmp();
    const missing = await runCli(['import', path.join(dir, 'nope.jsonl')], { env });
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /cannot read .*nope\.jsonl: no such file/);

    writeFileSync(path.join(dir, 'empty.jsonl'), '');
    const empty = await runCli(['import', path.join(dir, 'empty.jsonl')], { env });
    assert.equal(empty.code, 1);
    assert.match(empty.stderr, /empty\.jsonl is empty/);

    writeFileSync(path.join(dir, 'notes.txt'), 'just some text\n');
    const unknown = await runCli(['import', path.join(dir, 'notes.txt')], { env });
    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr, /cannot tell the format .* pass --format/);

    writeFileSync(path.join(dir, 'bad.xml'), '<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom"><entry><title>x</ti');
    const truncated = await runCli(['import', path.join(dir, 'bad.xml')], { env });
    assert.equal(truncated.code, 1);
    assert.match(truncated.stderr, /bad\.xml/);
    assert.doesNotMatch(truncated.stderr, /\n\s+at /, 'a message, not a stack trace');

    const badFormat = await runCli(['import', path.join(dir, 'notes.txt'), '--format', 'csv'], { env });
    assert.equal(badFormat.code, 2);
    assert.match(badFormat.stderr, /Allowed choices are jsonl, kaggle, arxiv-atom, arxiv-oai, hf-daily/);
  });

  test('a killed import leaves the database consistent and a re-run finishes the job', async () => {
    const dataDir = tmp();
    const env = { PAPERPULSE_DATA_DIR: dataDir };
    const total = 6000;
    const lines = Array.from({ length: total }, (_, i) => jsonlLine(i));
    // Feed the first 3,000 lines through stdin, give the importer time to commit some batches,
    // then kill -9 it while it still waits for more input.
    const child = spawn(process.execPath, [BIN, 'import', '-', '--batch-size', '500'], {
      cwd: projectRoot,
      env: { ...process.env, ...env, PAPERPULSE_PROGRESS_INTERVAL: '0' },
      stdio: ['pipe', 'ignore', 'pipe'],
    });
    let progress = '';
    child.stderr.on('data', (d) => (progress += d));
    child.stdin.on('error', () => {}); // EPIPE once it is killed
    child.stdin.write(lines.slice(0, 3000).join('\n') + '\n');
    // Plain progress lines come after each committed batch: wait for two of them.
    const deadline = Date.now() + 60_000;
    const committed = () => Math.max(0, ...[...progress.matchAll(/importing: .*records (\d+)/g)].map((m) => Number(m[1])));
    while (committed() < 1000 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    assert.ok(committed() >= 1000, `progress is shown without a terminal too: ${progress}`);
    const exited = new Promise((r) => child.on('close', r));
    child.kill('SIGKILL');
    await exited;

    const file = path.join(tmp(), 'all.jsonl');
    writeFileSync(file, lines.join('\n'));
    const rerun = await runCli(['import', file, '--json'], { env });
    assert.equal(rerun.code, 0, rerun.stderr);
    const counts = JSON.parse(rerun.stdout);
    assert.ok(counts.unchanged >= 500, `batches committed before the kill survived (unchanged ${counts.unchanged})`);
    assert.equal(counts.inserted + counts.unchanged, total);
    assert.equal((await stats(env)).papers, total);
  });
});

describe('paperpulse import: the recorded real formats', { skip: skipWithoutShared }, () => {
  test('detects and imports arXiv Atom, OAI-PMH (arXiv and arXivRaw), Hugging Face JSON and the corpus', async () => {
    const env = { PAPERPULSE_DATA_DIR: tmp() };
    const cases: [string, string][] = [
      [sharedPath('fixtures/arxiv-api/bodies/id_0808.05394_1707.08567_s0_m100_42e5aa0ec3af.atom.xml'), 'arxiv-atom'],
      [sharedPath('fixtures/arxiv-oai-pmh/arxiv-physics-hep-th.xml'), 'arxiv-oai'],
      [sharedPath('fixtures/arxiv-oai-pmh/ListRecordsResponse.xml'), 'arxiv-oai'],
      [sharedPath('fixtures/hf-papers-api/daily_papers_2024-10-25_excerpt.json'), 'hf-daily'],
    ];
    for (const [file, format] of cases) {
      const res = await runCli(['import', file, '--json'], { env });
      const out = JSON.parse(res.stdout);
      assert.equal(out.format, format, file);
      assert.ok(out.inserted >= 1, `${path.basename(file)} inserted ${out.inserted}`);
      assert.equal(out.rejected, 0, res.stderr);
    }
    const hf = JSON.parse(readFileSync(sharedPath('fixtures/hf-papers-api/daily_papers_2024-10-25_excerpt.json'), 'utf8'));
    const s = await stats(env);
    assert.ok(s.papers >= 1 + 3 + 6 + hf.length);
  });

  test('the first 2,000 papers of the corpus (gzip) import with nothing rejected', async () => {
    const env = { PAPERPULSE_DATA_DIR: tmp() };
    const { gunzipSync } = await import('node:zlib');
    const text = gunzipSync(readFileSync(sharedPath('data/arxiv-cs-2025-07_2026-06.jsonl.gz'))).toString('utf8');
    const head = text.split('\n').slice(0, 2000).join('\n');
    const file = path.join(tmp(), 'head.jsonl.gz');
    writeFileSync(file, gzipSync(head));
    const res = await runCli(['import', file, '--json'], { env });
    assert.equal(res.code, 0, res.stderr);
    assert.deepEqual(JSON.parse(res.stdout), {
      read: 2000, inserted: new Set(head.split('\n').map((l) => JSON.parse(l).id)).size, updated: 0,
      unchanged: 2000 - new Set(head.split('\n').map((l) => JSON.parse(l).id)).size, rejected: 0, format: 'jsonl',
    });
  });
});

describe('paperpulse command line', () => {
  test('every subcommand has --help', async () => {
    for (const cmd of [[], ['serve'], ['migrate'], ['import'], ['ingest', 'arxiv'], ['stats'], ['config'], ['vote'], ['trending', 'recompute']]) {
      const res = await runCli([...cmd, '--help']);
      assert.equal(res.code, 0, `${cmd.join(' ')} --help: ${res.stderr}`);
      assert.match(res.stdout, /Usage: paperpulse/);
      if (cmd.length) assert.match(res.stdout, /--data-dir/, `${cmd.join(' ')} takes --data-dir`);
    }
  });

  test('bad configuration is refused with one line per bad value', async () => {
    const res = await runCli(['stats'], { env: { PORT: 'eighty', PAPERPULSE_CATEGORIES: 'cs.AI,not a cat', PAPERPULSE_DATA_DIR: tmp() } });
    assert.equal(res.code, 2);
    assert.match(res.stderr, /PORT: "eighty" is not a whole number/);
    assert.match(res.stderr, /PAPERPULSE_CATEGORIES: not arXiv categories: not a cat/);
  });

  test('config prints the effective values with secrets masked', async () => {
    const dataDir = tmp();
    const res = await runCli(['config', '--json'], {
      env: { DATABASE_URL: 'postgres://app:hunter2@db.internal/papers', SECRET_KEY: 'k'.repeat(40), PAPERPULSE_DATA_DIR: dataDir },
    });
    assert.equal(res.code, 0, res.stderr);
    const cfg = JSON.parse(res.stdout);
    assert.equal(cfg.DATABASE_URL, 'postgres://app:****@db.internal/papers');
    assert.equal(cfg.SECRET_KEY, '****');
    assert.equal(cfg.PAPERPULSE_DATA_DIR, dataDir);
    assert.doesNotMatch(res.stdout, /hunter2|kkkkkkkk/);
  });

  test('migrate applies the schema once, then reports it up to date', async () => {
    const env = { PAPERPULSE_DATA_DIR: tmp() };
    const first = await runCli(['migrate'], { env });
    assert.equal(first.code, 0, first.stderr);
    assert.match(first.stdout, /applied 0001_papers/);
    const second = await runCli(['migrate'], { env });
    assert.match(second.stdout, /up to date/);
    assert.ok(readdirSync(env.PAPERPULSE_DATA_DIR).includes('secret_key'), 'a secret key is generated in the data dir');
  });
});
