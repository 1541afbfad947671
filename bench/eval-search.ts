// `npm run eval:search` (issue 4, "Evaluation"): a fresh temporary database (the PostgreSQL server of
// TEST_DATABASE_URL / --server URL, else PGlite in a temporary directory), the 57k corpus imported, the model
// trained the way the product does (`trainAndActivate`, with the known-item targets left out of training and the
// CSFCube papers joining it), then measured through the code that serves the site:
// 1. Known-item: 1,000 papers sampled with a fixed seed; query = the title; the targets' titles are not indexed
//    (abstract only), nor in their vectors (re-encoded from the abstract alone); search over all papers with
//    searchIn() (the ranking of /papers?q=). MRR@10, Recall@1/10/100.
// 2. CSFCube: each query paper's judged pool (itself left out) ranked with the similar-papers ranking
//    (SearchIndex over the CSFCube papers with the trained model); MAP (relevance >= 2) and NDCG%20.
// Options: --file PATH, --csfcube DIR, --threads N, --epochs N, --targets N, --seed N; --skip-train (one epoch);
// --variants (the ranking's parts one by one, and the ranking before they were added); --database URL (an existing
// database, kept: the corpus is imported only when it holds no paper, and with --reuse-model an active model
// trained with the same targets left out, e.g. by an earlier run, is used instead of training).
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { openDb } from '../src/db/client.ts';
import { migrate } from '../src/db/migrate.ts';
import { importFile } from '../src/ingest/import.service.ts';
import { loadActive, paperText, trainAndActivate } from '../src/search/model.service.ts';
import { loadCorpus, type CorpusRow } from '../src/search/search.repository.ts';
import { SearchIndex, type SearchIndexOptions } from '../src/search/search-index.ts';
import { searchIn } from '../src/search/search.service.ts';
import { createServerDatabase } from '../test/helpers/db.ts';
import { loadCsfCube, similarityMetrics } from './lib.ts';

const here = path.dirname(fileURLToPath(import.meta.url));
const arg = (name: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
};


async function main() {
  const file = arg('file') ?? path.resolve(here, '../../shared/data/arxiv-cs-2025-07_2026-06.jsonl.gz');
  const csfDir = arg('csfcube') ?? path.resolve(here, '../../shared/eval/csfcube-dev');
  if (!existsSync(file)) {
    console.log(`eval:search skipped: ${file} not found`);
    return;
  }
  const csf = existsSync(path.join(csfDir, 'qrels.tsv')) ? loadCsfCube(csfDir) : null;
  const server = arg('server') ?? process.env.TEST_DATABASE_URL;
  let drop: (() => Promise<void>) | null = null;
  let db;
  if (arg('database')) {
    db = await openDb({ databaseUrl: arg('database')! });
  } else if (server) {
    const created = await createServerDatabase(server);
    drop = created.drop;
    db = await openDb({ databaseUrl: created.url });
  } else {
    db = await openDb({ databaseUrl: null, pgliteDir: path.join(mkdtempSync(path.join(os.tmpdir(), 'pp-eval-search-')), 'db') });
  }
  try {
    await migrate(db);
    let t = performance.now();
    const [{ n: held }] = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM papers');
    if (held === 0) {
      const imported = await importFile(db, file, {});
      console.log(`import: ${imported.inserted} papers in ${((performance.now() - t) / 1000).toFixed(1)} s`);
    } else console.log(`import: skipped, the database holds ${held} papers`);
    const corpus = await loadCorpus(db);
    // 1,000 known-item targets with a fixed seed.
    let seed = Number(arg('seed') ?? 20260601);
    const rnd = () => ((seed = (seed * 1664525 + 1013904223) >>> 0) / 2 ** 32);
    const nTargets = Math.min(Number(arg('targets') ?? 1000), corpus.length);
    const targets = new Set<number>();
    while (targets.size < nTargets) targets.add(Math.floor(rnd() * corpus.length));
    const targetIds = new Set([...targets].map((i) => corpus[i].id));
    const skipTrain = process.argv.includes('--skip-train');
    t = performance.now();
    let loaded = process.argv.includes('--reuse-model') ? await loadActive(db) : null;
    if (loaded) console.log(`model: ${loaded.version} (reused)`);
    else {
      const s = await trainAndActivate(db, {
        threads: Number(arg('threads') ?? 2),
        epochs: skipTrain ? 1 : arg('epochs') ? Number(arg('epochs')) : undefined,
        excludeFromTraining: targetIds,
        extraTrainingDocs: csf?.papers ?? [],
      });
      console.log(`model: ${s.version}, trained in ${(s.trainMs / 1000).toFixed(1)} s, embedded in ${(s.embedMs / 1000).toFixed(1)} s`);
      loaded = (await loadActive(db))!;
    }
    const model = loaded;

    // Known-item: the targets' titles are neither indexed nor in their vectors.
    const evalCorpus: CorpusRow[] = corpus.map((p) => (targetIds.has(p.id) ? { ...p, title: '' } : p));
    const byId = new Map(corpus.map((c) => [c.id, c]));
    const evalModel = {
      ...model,
      vectors: model.vectors.map((v) => {
        if (!targetIds.has(v.paper_id)) return v;
        const p = byId.get(v.paper_id)!;
        const x = model.model.encodeTokens(paperText({ title: '', abstract: p.abstract }));
        return { paper_id: v.paper_id, vector: new Uint8Array(x.buffer, x.byteOffset, x.byteLength) };
      }),
    };
    // The product's ranking first; --variants also measures its parts and the ranking before them.
    const variants: { name: string; options: SearchIndexOptions; minimumMatch: 'default' | 'half' | 'any'; model: boolean }[] = [
      { name: 'product (BM25F k1 0.8, word pairs, model on long queries)', options: {}, minimumMatch: 'default', model: true },
    ];
    if (process.argv.includes('--variants')) {
      variants.push(
        { name: 'without the model', options: {}, minimumMatch: 'default', model: false },
        { name: 'without the model or word pairs', options: { pairWeight: 0 }, minimumMatch: 'default', model: false },
        { name: 'any stem may match', options: {}, minimumMatch: 'any', model: true },
        { name: 'before (k1 1.2, no pairs, no model, half the stems)', options: { k1: 1.2, pairWeight: 0 }, minimumMatch: 'half', model: false },
      );
    }
    for (const v of variants) {
      const index = new SearchIndex(evalCorpus, v.model ? evalModel : null, v.options);
      let mrr = 0;
      let r1 = 0;
      let r10 = 0;
      let r100 = 0;
      const lat: number[] = [];
      for (const i of targets) {
        const p = corpus[i];
        const t1 = performance.now();
        const res = await searchIn(db, index, { q: p.title, limit: 100, minimumMatch: v.minimumMatch });
        lat.push(performance.now() - t1);
        const rank = res.ids.indexOf(p.id) + 1;
        if (rank > 0) {
          if (rank <= 10) mrr += 1 / rank;
          if (rank === 1) r1++;
          if (rank <= 10) r10++;
          r100++;
        }
      }
      const n = targets.size;
      lat.sort((a, b) => a - b);
      console.log(
        `known-item, ${v.name} (${n} titles, targets' titles not indexed, ${corpus.length} papers): MRR@10 ${(mrr / n).toFixed(3)}  ` +
          `R@1 ${(r1 / n).toFixed(3)}  R@10 ${(r10 / n).toFixed(3)}  R@100 ${(r100 / n).toFixed(3)}  (search p50 ${lat[Math.floor(n / 2)].toFixed(1)} ms)`,
      );
    }

    if (csf) {
      const csfRows: CorpusRow[] = csf.papers.map((p) => ({
        id: p.id, title: p.title, abstract: p.abstract, authors: [], author_keys: [], categories: [], first_listed: '2000-01-01', published_at: null,
      }));
      const vectors = csf.papers.map((p) => {
        const v = model.model.encodeTokens(paperText(p));
        return { paper_id: p.id, vector: new Uint8Array(v.buffer, v.byteOffset, v.byteLength) };
      });
      const csfIndex = new SearchIndex(csfRows, { model: model.model, id: model.id, version: model.version, vectors });
      let ap = 0;
      let ndcg = 0;
      for (const q of csf.queries) {
        const judged = new Map(csf.qrels.get(q.queryId) ?? []);
        judged.delete(q.paperId);
        const pool = [...judged.keys()];
        const m = similarityMetrics(csfIndex.rankAmong(q.paperId, pool), judged);
        ap += m.ap;
        ndcg += m.ndcg;
      }
      const k = csf.queries.length;
      console.log(`CSFCube (${k} queries, similar-papers ranking): MAP ${((100 * ap) / k).toFixed(1)}  NDCG%20 ${((100 * ndcg) / k).toFixed(1)}`);
    } else console.log(`CSFCube skipped: ${csfDir} not found`);
  } finally {
    await db.close();
    await drop?.();
  }
}

await main();
