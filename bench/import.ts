// npm run bench:import: imports ../shared/data/arxiv-cs-2025-07_2026-06.jsonl.gz (57,283 papers) into a
// fresh embedded database and into a fresh database on the PostgreSQL server, and prints papers/s,
// peak RSS and database size on disk. Each target runs in its own child process so that peak RSS is
// its own. It prints figures; it never passes or fails on a time.
//   BENCH_FILE=...            another input file
//   BENCH_DATABASE_URL=...    server to create the scratch database on (default: TEST_DATABASE_URL, then
//                             postgres://postgres@127.0.0.1:5432/postgres)
//   BENCH_TARGETS=pglite,postgres
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { openDb } from '../src/db/client.ts';
import { migrate } from '../src/db/migrate.ts';
import { importFile } from '../src/ingest/import.service.ts';
import { createServerDatabase } from '../test/helpers/db.ts';

const here = path.dirname(fileURLToPath(import.meta.url));
const file = process.env.BENCH_FILE ?? path.resolve(here, '../../shared/data/arxiv-cs-2025-07_2026-06.jsonl.gz');
const serverUrl =
  process.env.BENCH_DATABASE_URL ?? process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

function duBytes(dir: string): number {
  let total = 0;
  for (const name of readdirSync(dir)) {
    const p = path.join(dir, name);
    const st = statSync(p);
    total += st.isDirectory() ? duBytes(p) : st.size;
  }
  return total;
}

const mb = (n: number) => `${(n / 1024 / 1024).toFixed(0)} MB`;

async function runTarget(target: 'pglite' | 'postgres'): Promise<void> {
  let dir: string | null = null;
  let drop: (() => Promise<void>) | null = null;
  let url: string | null = null;
  if (target === 'pglite') {
    // Creating an embedded database (initdb) peaks near 800 MB once; it happens in its own process
    // (as `paperpulse migrate` or the first `serve` would), so the import's peak is the import's own.
    dir = process.argv[3];
  } else {
    const created = await createServerDatabase(serverUrl);
    url = created.url;
    drop = created.drop;
  }
  const db = await openDb({ databaseUrl: url, pgliteDir: dir ? path.join(dir, 'db') : null });
  await migrate(db);
  let peak = process.memoryUsage().rss;
  const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 50);
  const t0 = performance.now();
  const result = await importFile(db, file, {
    onProgress: ({ summary }) => {
      if (summary.read % 10_000 < 1000) process.stderr.write(`  ${target}: ${summary.read} records\r`);
    },
  });
  const seconds = (performance.now() - t0) / 1000;
  clearInterval(sampler);
  peak = Math.max(peak, process.resourceUsage().maxRSS * 1024);
  let sizeOnDisk: number;
  if (target === 'pglite') {
    await db.close();
    sizeOnDisk = duBytes(dir!);
  } else {
    const [row] = await db.query<{ bytes: number }>('SELECT pg_database_size(current_database())::bigint AS bytes');
    sizeOnDisk = Number(row.bytes);
    await db.close();
  }
  const out = {
    target,
    papers: result.inserted,
    read: result.read,
    rejected: result.rejected,
    seconds: Number(seconds.toFixed(2)),
    papersPerSecond: Math.round(result.read / seconds),
    peakRssMB: Math.round(peak / 1024 / 1024),
    sizeOnDiskMB: Math.round(sizeOnDisk / 1024 / 1024),
  };
  process.stderr.write(' '.repeat(40) + '\r');
  process.stdout.write(JSON.stringify(out) + '\n');
  if (dir) rmSync(dir, { recursive: true, force: true });
  await drop?.();
}

async function main(): Promise<void> {
  const target = process.argv[2];
  if (target === 'create') {
    const db = await openDb({ databaseUrl: null, pgliteDir: path.join(process.argv[3], 'db') });
    await migrate(db);
    return db.close();
  }
  if (target === 'pglite' || target === 'postgres') return runTarget(target);
  if (!existsSync(file)) {
    console.log(`bench:import skipped: ${file} not found (it lives in ../shared/data beside the checkout)`);
    return;
  }
  const targets = (process.env.BENCH_TARGETS ?? 'pglite,postgres').split(',');
  console.log(`bench:import: ${path.basename(file)} (${mb(statSync(file).size)} compressed)`);
  console.log('target     papers   seconds  papers/s  peak RSS  size on disk');
  for (const t of targets) {
    let dir: string | null = null;
    if (t === 'pglite') {
      dir = mkdtempSync(path.join(os.tmpdir(), 'paperpulse-bench-'));
      spawnSync(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url), 'create', dir], { stdio: 'inherit' });
    }
    const res = spawnSync(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url), t, ...(dir ? [dir] : [])], {
      stdio: ['ignore', 'pipe', 'inherit'],
      encoding: 'utf8',
    });
    const line = res.stdout.trim().split('\n').pop() ?? '';
    if (res.status !== 0 || !line.startsWith('{')) {
      console.log(`${t.padEnd(9)}  failed (exit ${res.status}); is the server reachable at ${serverUrl}?`);
      continue;
    }
    const r = JSON.parse(line);
    console.log(
      `${r.target.padEnd(9)}  ${String(r.papers).padStart(6)}  ${String(r.seconds).padStart(8)}  ` +
        `${String(r.papersPerSecond).padStart(8)}  ${`${r.peakRssMB} MB`.padStart(8)}  ${`${r.sizeOnDiskMB} MB`.padStart(12)}`,
    );
  }
}

await main();
