// npm run bench:web: imports the 57,283-paper corpus into a fresh embedded database, gives papers
// votes, trains the search model, starts `paperpulse serve` as its own process, and loads a busy day's feed, a paper page and the
// trending page with autocannon (50 connections), for anonymous readers (shared page cache) and for a
// signed-in member (pages rendered per request). Prints requests/s, p50, p99 and the server's RSS.
// It prints figures; it never passes or fails on a time.
//   BENCH_FILE=...        another corpus file
//   BENCH_SECONDS=10      seconds per URL
//   BENCH_CONNECTIONS=50
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { insertSession } from '../src/accounts/accounts.repository.ts';
import { createAccount } from '../src/accounts/accounts.service.ts';
import { hashSecret, newSecret } from '../src/accounts/secrets.ts';
import { openDb } from '../src/db/client.ts';
import { paperpulseBin, rssOf, runPaperpulse } from './lib.ts';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '..');
const file = process.env.BENCH_FILE ?? path.resolve(root, '../shared/data/arxiv-cs-2025-07_2026-06.jsonl.gz');
const seconds = Number(process.env.BENCH_SECONDS ?? 10);
const connections = Number(process.env.BENCH_CONNECTIONS ?? 50);



async function load(url: string, headers?: Record<string, string>): Promise<autocannon.Result> {
  return autocannon({ url, connections, duration: seconds, pipelining: 1, headers });
}

async function main(): Promise<void> {
  if (!existsSync(file)) {
    console.log(`bench:web skipped: ${file} not found (it lives in ../shared/data beside the checkout)`);
    return;
  }
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'paperpulse-bench-web-'));
  const env = { PAPERPULSE_DATA_DIR: dataDir, PAPERPULSE_HARVEST: 'false', LOG_LEVEL: 'warn' };
  try {
    process.stdout.write('importing the corpus... ');
    runPaperpulse(['migrate'], env);
    const imported = JSON.parse(runPaperpulse(['import', file, '--json'], env));
    console.log(`${imported.inserted} papers`);

    // Votes for a realistic trending page: a long tail, most papers with none.
    const db = await openDb({ databaseUrl: null, pgliteDir: path.join(dataDir, 'db') });
    await db.query(`UPDATE papers SET upvotes = floor(power(random(), 8) * 200)::int WHERE random() < 0.3`);
    const [busy] = await db.query<{ day: string; n: number }>(
      `SELECT first_listed AS day, count(*)::int AS n FROM papers GROUP BY 1 ORDER BY 2 DESC LIMIT 1`,
    );
    const [paper] = await db.query<{ id: string }>(`SELECT id FROM papers WHERE first_listed = $1 ORDER BY upvotes DESC LIMIT 1`, [busy.day]);
    // A signed-in member who voted on 200 papers: their pages are rendered for them, never cached.
    const member = await createAccount(db, { username: 'bench-member', email: 'bench@example.org' });
    const sessionToken = newSecret();
    const now = new Date();
    await insertSession(db, { id: hashSecret(sessionToken), userId: member.id, expiresAt: new Date(now.getTime() + 86400_000), userAgent: null, now });
    const voted = await db.query(`INSERT INTO votes (user_id, paper_id) SELECT $1, id FROM papers WHERE first_listed = $2 LIMIT 200 RETURNING paper_id`, [member.id, busy.day]);
    await db.query(`UPDATE papers SET upvotes = upvotes + 1 WHERE id = ANY($1::text[])`, [voted.map((r) => (r as { paper_id: string }).paper_id)]);
    await db.close();
    runPaperpulse(['trending', 'recompute'], env);
    // A trained search model, as a deployment has one: without it `serve` would train one in the background
    // while the pages are measured (and paper pages would have no similar papers).
    process.stdout.write('training the search model... ');
    const trained = JSON.parse(runPaperpulse(['model', 'train', '--threads', '2', '--json'], env));
    console.log(`${trained.papers ?? ''} papers, ${Math.round((trained.totalMs ?? 0) / 1000)} s`);

    const server = spawn(process.execPath, [...(process.env.BENCH_PROFILE_DIR ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_PROFILE_DIR}`] : []), paperpulseBin, 'serve', '--port', '0'], { env: { ...process.env, ...env, LOG_LEVEL: 'info' }, stdio: ['ignore', 'pipe', 'inherit'] });
    const base = await new Promise<string>((resolve, reject) => {
      let out = '';
      server.stdout!.on('data', (d) => {
        out += d;
        const m = /serving on (http:\/\/[\d.:]+)/.exec(out);
        if (m) resolve(m[1]);
      });
      server.on('close', () => reject(new Error(`serve exited:\n${out}`)));
    });
    server.stdout!.resume();
    let peakRss = 0;
    const sampler = setInterval(() => (peakRss = Math.max(peakRss, rssOf(server.pid!))), 200);

    const memberHeaders = { cookie: `pp_session=${sessionToken}` };
    const urls: [string, string, Record<string, string>?][] = [
      [`/papers/date/${busy.day}`, `busy day feed (${busy.n} papers)`],
      [`/papers/${paper.id}`, 'paper page'],
      ['/papers/trending', 'trending'],
      [`/papers/date/${busy.day}`, 'busy day, signed in', memberHeaders],
      [`/papers/${paper.id}`, 'paper page, signed in', memberHeaders],
      ['/papers/trending', 'trending, signed in', memberHeaders],
    ];
    console.log(`\n${connections} connections, ${seconds} s per URL, server pid ${server.pid}`);
    console.log('page                              req/s     p50      p99    errors');
    for (const [p, label, headers] of urls) {
      await autocannon({ url: base + p, connections: 4, amount: 200, headers }); // warm the cache and the JIT
      const r = await load(base + p, headers);
      const errors = r.errors + r.non2xx;
      console.log(
        `${label.padEnd(32)} ${String(Math.round(r.requests.average)).padStart(6)}  ${`${r.latency.p50} ms`.padStart(6)}  ${`${r.latency.p99} ms`.padStart(7)}  ${String(errors).padStart(6)}`,
      );
    }
    clearInterval(sampler);
    console.log(`server RSS: ${Math.round(rssOf(server.pid!) / 1024 / 1024)} MB now, ${Math.round(peakRss / 1024 / 1024)} MB peak`);
    server.kill('SIGTERM');
    await new Promise((r) => server.on('close', r));
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}

await main();
