// `npm run bench:search`: search on the 57k corpus. Imports ../shared/data/arxiv-cs-2025-07_2026-06.jsonl.gz into a
// fresh database (the PostgreSQL server of TEST_DATABASE_URL / --server URL when given, else PGlite in a temporary
// directory, or --data-dir DIR to reuse one), trains the model as `paperpulse model train` does (training and
// re-embedding times, RSS), then measures warm latencies through the code that serves the site: search()
// for 200 realistic queries (titles, 2-4 word topics, phrases, author queries) and similar papers for 200 papers.
// Options: --threads N (default 2), --epochs N, --file PATH, --skip-train (use the active model), --database URL
// (an existing database, kept: imported into only when it holds no paper), --rounds N (measure the 200 queries N
// times, default 2: the machine is shared, so the rounds show the noise).
import { existsSync, mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { openDb } from '../src/db/client.ts';
import { migrate } from '../src/db/migrate.ts';
import { importFile } from '../src/ingest/import.service.ts';
import { trainAndActivate } from '../src/search/model.service.ts';
import { loadCorpus } from '../src/search/search.repository.ts';
import { search, searchIndex, similarPapers, suggestTitles } from '../src/search/search.service.ts';
import { summariesByIds } from '../src/search/search.repository.ts';
import { createServerDatabase } from '../test/helpers/db.ts';

const here = path.dirname(fileURLToPath(import.meta.url));
const arg = (name: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
};
const flag = (name: string) => process.argv.includes(`--${name}`);
const mb = (b: number) => `${(b / 1e6).toFixed(0)} MB`;
const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
};

async function main() {
  const file = arg('file') ?? path.resolve(here, '../../shared/data/arxiv-cs-2025-07_2026-06.jsonl.gz');
  const server = arg('server') ?? process.env.TEST_DATABASE_URL;
  let drop: (() => Promise<void>) | null = null;
  let db;
  let fresh = true;
  if (arg('database')) {
    db = await openDb({ databaseUrl: arg('database')! });
    fresh = false;
    console.log('database: an existing database (--database)');
  } else if (server && !arg('data-dir')) {
    const created = await createServerDatabase(server);
    drop = created.drop;
    db = await openDb({ databaseUrl: created.url });
    console.log('database: PostgreSQL server (fresh database)');
  } else {
    const dir = arg('data-dir') ?? mkdtempSync(path.join(os.tmpdir(), 'pp-bench-search-'));
    fresh = !existsSync(path.join(dir, 'db'));
    db = await openDb({ databaseUrl: null, pgliteDir: path.join(dir, 'db') });
    console.log(`database: PGlite in ${dir}`);
  }
  try {
    await migrate(db);
    const [{ n }] = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM papers');
    if (fresh || n === 0) {
      if (!existsSync(file)) {
        console.log(`bench:search skipped: ${file} not found`);
        return;
      }
      const t = performance.now();
      const r = await importFile(db, file, {});
      console.log(`import: ${r.inserted} papers in ${((performance.now() - t) / 1000).toFixed(1)} s`);
    }
    const rss0 = process.memoryUsage().rss;
    let peak = rss0;
    const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 50);
    if (!flag('skip-train')) {
      let lastEpoch = 0;
      let lastStep = '';
      const s = await trainAndActivate(db, {
        threads: Number(arg('threads') ?? 2),
        epochs: arg('epochs') ? Number(arg('epochs')) : undefined,
        onProgress: (p) => {
          // RSS at each step of training (where the memory goes): the phase, the SVD's step, the first batch.
          const step = p.phase === 'train' ? `${p.train.phase}${p.train.detail ? ` ${p.train.detail}` : ''}` : p.phase;
          if (step !== lastStep && !(p.phase === 'train' && p.train.phase === 'train' && p.train.batch > 1)) {
            lastStep = step;
            const m = process.memoryUsage();
            process.stderr.write(`  ${step}: RSS ${mb(m.rss)} (JavaScript heap ${mb(m.heapUsed)} of ${mb(m.heapTotal)}, array buffers ${mb(m.arrayBuffers)})\n`);
          }
          if (p.phase === 'train' && p.train.phase === 'train' && p.train.epoch !== lastEpoch) {
            lastEpoch = p.train.epoch;
            const stages = Object.entries(p.train.stageMs ?? {}).map(([k, v]) => `${k} ${(v / 1000).toFixed(1)} s`).join(', ');
            process.stderr.write(`  epoch ${p.train.epoch}/${p.train.epochs} at ${(p.train.elapsedMs / 1000).toFixed(0)} s${stages ? ` (so far: ${stages})` : ''}\n`);
          }
        },
      });
      clearInterval(sampler);
      console.log(
        `model: ${s.papers} papers, vocabulary ${s.vocabulary}, ${mb(s.modelBytes)}; load ${(s.loadMs / 1000).toFixed(1)} s, ` +
          `training ${(s.trainMs / 1000).toFixed(1)} s, embedding + storing + switching ${(s.embedMs / 1000).toFixed(1)} s`,
      );
      console.log(`RSS during training: peak ${mb(peak)} (+${mb(peak - rss0)} over ${mb(rss0)})`);
    }
    clearInterval(sampler);
    let t = performance.now();
    const index = await searchIndex(db, true);
    console.log(`index build (corpus, BM25, vectors): ${((performance.now() - t) / 1000).toFixed(1)} s; RSS ${mb(process.memoryUsage().rss)}`);

    // 200 realistic queries from the corpus itself.
    const corpus = await loadCorpus(db);
    let seed = 12345;
    const rnd = () => ((seed = (seed * 1664525 + 1013904223) >>> 0) / 2 ** 32);
    const pick = <T>(a: T[]) => a[Math.floor(rnd() * a.length)];
    const queries: string[] = [];
    for (let i = 0; i < 200; i++) {
      const p = pick(corpus);
      const words = p.abstract.split(/\s+/).filter((w) => /^[a-z]{5,}$/.test(w));
      const kind = i % 4;
      if (kind === 0) queries.push(p.title);
      else if (kind === 1) {
        const k = 2 + Math.floor(rnd() * 3);
        queries.push(Array.from({ length: k }, () => pick(words.length ? words : ['learning'])).join(' '));
      } else if (kind === 2) {
        const at = Math.floor(rnd() * Math.max(1, words.length - 2));
        queries.push(`"${words.slice(at, at + 2).join(' ') || 'neural network'}"`);
      } else queries.push(`author:"${pick(p.authors)}" ${pick(words.length ? words : ['model'])}`);
    }
    const run = async (q: string) => {
      const r = await search(db, { q, limit: 50 });
      await summariesByIds(db, r.ids);
    };
    for (const q of queries.slice(0, 20)) await run(q); // warm
    const rounds = Number(arg('rounds') ?? 2);
    for (let round = 1; round <= rounds; round++) {
      const lat: number[] = [];
      const byKind: number[][] = [[], [], [], []];
      for (const [i, q] of queries.entries()) {
        t = performance.now();
        await run(q);
        const ms = performance.now() - t;
        lat.push(ms);
        byKind[i % 4].push(ms);
      }
      console.log(`search, round ${round} (200 queries, 50 cards each): p50 ${pct(lat, 50).toFixed(1)} ms, p95 ${pct(lat, 95).toFixed(1)} ms`);
      ['titles', 'topics', 'phrases', 'authors'].forEach((k, i) =>
        console.log(`  ${k.padEnd(8)} p50 ${pct(byKind[i], 50).toFixed(1)} ms, p95 ${pct(byKind[i], 95).toFixed(1)} ms`),
      );
    }
    // Search-as-you-type: prefixes of titles, as typed (3 letters up to the first 3 words).
    const typed = queries.filter((_, i) => i % 4 === 0).flatMap((title) => {
      const words = title.split(/\s+/);
      return [title.slice(0, 3), words.slice(0, 2).join(' ').slice(0, -1), words.slice(0, 3).join(' ')];
    });
    for (const q of typed.slice(0, 20)) await suggestTitles(db, q);
    const sug: number[] = [];
    for (const q of typed) {
      t = performance.now();
      await suggestTitles(db, q);
      sug.push(performance.now() - t);
    }
    console.log(`suggestions (${typed.length} prefixes of titles): p50 ${pct(sug, 50).toFixed(2)} ms, p95 ${pct(sug, 95).toFixed(2)} ms`);
    const sim: number[] = [];
    for (let i = 0; i < 220; i++) {
      const id = pick(corpus).id;
      t = performance.now();
      const r = await similarPapers(db, id, 10);
      await summariesByIds(db, r.items.map((x) => x.id));
      if (i >= 20) sim.push(performance.now() - t);
    }
    console.log(`similar papers (200 papers, 10 cards): p50 ${pct(sim, 50).toFixed(1)} ms, p95 ${pct(sim, 95).toFixed(1)} ms`);
    console.log(`RSS at the end: ${mb(process.memoryUsage().rss)}; peak (process) ${mb(process.resourceUsage().maxRSS * 1024)}`);
    void index;
  } finally {
    await db.close();
    await drop?.();
  }
}

await main();
