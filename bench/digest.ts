// npm run bench:digest: 10,000 confirmed subscribers with varied preferences over the 57k corpus.
// `paperpulse digest send --period daily` composes, renders and delivers them to an in-process SMTP
// server (smtp-server) that counts and discards what it receives. Prints digests/s, the time until the
// first message arrives (planning: composing and writing the outbox), the sender's CPU time and peak
// RSS. It prints figures; it never passes or fails on a time.
//   BENCH_SUBSCRIBERS=10000   BENCH_FILE=...   BENCH_CONCURRENCY=5
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { SMTPServer } from 'smtp-server';
import { openDb } from '../src/db/client.ts';
import { cpuSecondsOf, paperpulseBin, rssOf, runPaperpulse } from './lib.ts';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '..');
const file = process.env.BENCH_FILE ?? path.resolve(root, '../shared/data/arxiv-cs-2025-07_2026-06.jsonl.gz');
const subscribers = Number(process.env.BENCH_SUBSCRIBERS ?? 10_000);
const concurrency = process.env.BENCH_CONCURRENCY ?? '5';

const CATEGORY_CHOICES = [[], [], ['cs.CL'], ['cs.CV'], ['cs.LG', 'cs.AI'], ['cs.CL', 'cs.IR'], ['cs.RO']];
const KEYWORD_CHOICES = [[], [], [], ['diffusion'], ['language model', 'reasoning'], ['robot'], ['graph']];



async function main(): Promise<void> {
  if (!existsSync(file)) {
    console.log(`bench:digest skipped: ${file} not found (it lives in ../shared/data beside the checkout)`);
    return;
  }
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'paperpulse-bench-digest-'));
  let received = 0;
  let firstAt = 0;
  const smtp = new SMTPServer({
    disabledCommands: ['STARTTLS', 'AUTH'],
    authOptional: true,
    logger: false,
    size: 10 * 1024 * 1024,
    onData(stream, _session, cb) {
      stream.on('data', () => {});
      stream.on('end', () => {
        if (received++ === 0) firstAt = performance.now();
        cb();
      });
    },
  });
  await new Promise<void>((r) => smtp.listen(0, '127.0.0.1', r));
  const port = (smtp.server.address() as AddressInfo).port;
  const env = { PAPERPULSE_DATA_DIR: dataDir, PAPERPULSE_HARVEST: 'false', LOG_LEVEL: 'warn', SMTP_URL: `smtp://127.0.0.1:${port}?maxConnections=${concurrency}` };
  try {
    process.stdout.write('importing the corpus... ');
    runPaperpulse(['migrate'], env);
    console.log(`${JSON.parse(runPaperpulse(['import', file, '--json'], env)).inserted} papers`);

    const db = await openDb({ databaseUrl: null, pgliteDir: path.join(dataDir, 'db') });
    const rows = Array.from({ length: subscribers }, (_, i) => ({
      email: `reader${i}@example.org`,
      paper_count: [5, 10, 10, 20][i % 4],
      categories: CATEGORY_CHOICES[i % CATEGORY_CHOICES.length],
      keywords: KEYWORD_CHOICES[(i * 7) % KEYWORD_CHOICES.length],
    }));
    await db.query(
      `INSERT INTO subscriptions (email, status, frequency, paper_count, categories, keywords, confirmed_at)
       SELECT r.email, 'confirmed', 'daily', r.paper_count, r.categories, r.keywords, now()
       FROM jsonb_to_recordset($1::jsonb) AS r(email text, paper_count int, categories text[], keywords text[])`,
      [JSON.stringify(rows)],
    );
    const [busy] = await db.query<{ day: string }>(`SELECT first_listed AS day FROM papers GROUP BY 1 ORDER BY count(*) DESC LIMIT 1`);
    await db.close();
    console.log(`${subscribers} confirmed subscribers; the digest of ${busy.day}`);

    const t0 = performance.now();
    const child = spawn(process.execPath, [paperpulseBin, 'digest', 'send', '--period', 'daily', '--date', busy.day, '--concurrency', concurrency, '--batch-size', '50', '--json'], {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    let peak = 0;
    let cpu = 0;
    const sampler = setInterval(() => {
      peak = Math.max(peak, rssOf(child.pid!));
      cpu = Math.max(cpu, cpuSecondsOf(child.pid!));
    }, 100);
    const code = await new Promise<number | null>((r) => child.on('close', r));
    clearInterval(sampler);
    const seconds = (performance.now() - t0) / 1000;
    if (code !== 0) console.log(`digest send exited with ${code}: ${out}`);
    console.log(`delivered ${received} digests in ${seconds.toFixed(1)} s: ${Math.round(received / seconds)} digests/s, sender peak RSS ${Math.round(peak / 1024 / 1024)} MB`);
    console.log(`first message after ${((firstAt - t0) / 1000).toFixed(1)} s (start-up and planning); sender CPU ${cpu.toFixed(1)} s`);
    const summary = out.trim() ? JSON.parse(out.trim().split('\n').pop()!) : null;
    if (summary) console.log(`summary: ${JSON.stringify(summary)}`);
  } finally {
    await new Promise<void>((r) => smtp.close(() => r()));
    rmSync(dataDir, { recursive: true, force: true });
  }
}

await main();
