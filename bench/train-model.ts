// node --expose-gc --import tsx bench/train-model.ts [--limit N] [options]
// Trains the default static embedding model (src/search/static-model.ts) on the 57k-paper corpus in ../shared and
// prints: SVD time, training time per epoch and in total, encoding throughput, brute-force top-10 latency over all
// vectors, model size, peak RSS; then a known-item evaluation (issue 4): 1,000 papers sampled with a fixed seed,
// query = the title, index = abstracts only, targets left out of training; MRR@10 and Recall@1/10/100 for the
// semantic model alone, BM25 alone and reciprocal rank fusion (BM25 : semantic = 1:1, 2:1, 3:1, 5:1).
// With ../shared/eval/csfcube-dev present (or --csfcube DIR), the CSFCube papers join the training corpus (as
// the evaluation imports them) and a paper-to-paper evaluation follows: each query paper's judged pool
// ranked by the semantic model, BM25 (the query paper's title and abstract as the query) and their fusion;
// MAP (relevance >= 2) and NDCG%20 (graded, cut at 20% of the pool). --no-csfcube skips it.
// It prints figures; it never passes or fails on a time.
//
// Options: --limit N (first N papers), --epochs E, --threads 1|2, --seed S, --queries Q, --save FILE,
//          --csfcube DIR, --no-csfcube,
//          --lr, --dropout, --batch, --temperature, --init-norm, --init-power, --init lsa|random,
//          --svd-power Q, --no-half-pairs, --no-title-pairs.
import { createReadStream, existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import readline from 'node:readline';
import { fileURLToPath } from 'node:url';
import { createGunzip } from 'node:zlib';
import { Bm25Index, topK } from '../src/search/bm25.ts';
import { reciprocalRankFusion } from '../src/search/fuse.ts';
import { KernelWorkspace } from '../src/search/kernels.ts';
import { Prng } from '../src/search/prng.ts';
import { StaticEmbeddingModel, trainStaticModel, type TrainOptions } from '../src/search/static-model.ts';
import { tokenize } from '../src/search/text.ts';
import { loadCsfCube, similarityMetrics, type CsfCube } from './lib.ts';

const here = path.dirname(fileURLToPath(import.meta.url));
const file = process.env.BENCH_FILE ?? path.resolve(here, '../../shared/data/arxiv-cs-2025-07_2026-06.jsonl.gz');

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}
const num = (name: string): number | undefined => (arg(name) === undefined ? undefined : Number(arg(name)));
const flag = (name: string) => process.argv.includes(`--${name}`);

interface Paper {
  id: string;
  title: string;
  abstract: string;
}

async function load(limit: number): Promise<Paper[]> {
  const rl = readline.createInterface({ input: createReadStream(file).pipe(createGunzip()), crlfDelay: Infinity });
  const out: Paper[] = [];
  for await (const line of rl) {
    if (!line.trim()) continue;
    const d = JSON.parse(line) as { id: string; title: string; summary: string };
    out.push({ id: d.id, title: d.title.replace(/\s+/g, ' '), abstract: d.summary.replace(/\s+/g, ' ') });
    if (out.length >= limit) {
      rl.close();
      break;
    }
  }
  return out;
}


const ms = (t: number) => `${t.toFixed(0)} ms`;
const s = (t: number) => `${(t / 1000).toFixed(1)} s`;
const mb = (n: number) => `${(n / 1024 / 1024).toFixed(1)} MB`;
const pct = (a: number[], p: number) => [...a].sort((x, y) => x - y)[Math.min(a.length - 1, Math.floor((p / 100) * a.length))];

function metrics(ranks: (number | null)[]) {
  const n = ranks.length;
  let mrr = 0;
  let r1 = 0;
  let r10 = 0;
  let r100 = 0;
  for (const r of ranks) {
    if (r === null) continue;
    if (r <= 10) mrr += 1 / r;
    if (r <= 1) r1++;
    if (r <= 10) r10++;
    if (r <= 100) r100++;
  }
  return `MRR@10 ${(mrr / n).toFixed(3)}  R@1 ${(r1 / n).toFixed(3)}  R@10 ${(r10 / n).toFixed(3)}  R@100 ${(r100 / n).toFixed(3)}`;
}

async function main() {
  if (!existsSync(file)) {
    console.log(`skipped: ${file} is absent (the corpus lives in ../shared beside the checkout)`);
    return;
  }
  const limit = num('limit') ?? Infinity;
  const seed = num('seed') ?? 42;
  const nQueries = num('queries') ?? 1000;
  const threads = num('threads') ?? 1;

  let t = performance.now();
  const papers = await load(limit);
  console.log(`corpus: ${papers.length} papers (${ms(performance.now() - t)} to read)`);

  // Known-item targets: sampled with a fixed seed, left out of training (as the evaluation does).
  const rng = new Prng(12345);
  const order = rng.shuffle(Array.from(papers.keys()));
  const targets = order.slice(0, Math.min(nQueries, Math.floor(papers.length / 5)));
  const isTarget = new Uint8Array(papers.length);
  for (const i of targets) isTarget[i] = 1;

  t = performance.now();
  const titleTokens = papers.map((p) => tokenize(p.title));
  const abstractTokens = papers.map((p) => tokenize(p.abstract));
  const tokenizeMs = performance.now() - t;
  console.log(`tokenize: ${ms(tokenizeMs)} (${((2 * papers.length) / (tokenizeMs / 1000)).toFixed(0)} texts/s)`);

  const options: TrainOptions = {
    seed,
    threads,
    epochs: num('epochs'),
    learningRate: num('lr'),
    tokenDropout: num('dropout'),
    batchSize: num('batch'),
    temperature: num('temperature'),
    initNorm: num('init-norm'),
    initPower: num('init-power'),
    init: arg('init') as 'lsa' | 'random' | undefined,
    svdPowerIterations: num('svd-power'),
    halfPairs: flag('no-half-pairs') ? false : undefined,
    titlePairs: flag('no-title-pairs') ? false : undefined,
  };
  const csfDir = arg('csfcube') ?? path.resolve(here, '../../shared/eval/csfcube-dev');
  const csf = !flag('no-csfcube') && existsSync(path.join(csfDir, 'qrels.tsv')) ? loadCsfCube(csfDir) : null;
  const csfTokens = (csf?.papers ?? []).map((p) => ({ title: tokenize(p.title), abstract: tokenize(p.abstract) }));
  if (csf) console.log(`CSFCube: ${csf.papers.length} papers join the training corpus, ${csf.queries.length} queries`);
  const trainDocs = papers
    .flatMap((_, i) => (isTarget[i] ? [] : [{ title: titleTokens[i], abstract: abstractTokens[i] }]))
    .concat(csfTokens);
  // With --expose-gc, collect the tokenizer's garbage first so that the training's own growth is visible.
  const gc = (globalThis as { gc?: () => void }).gc;
  gc?.();
  const rssBefore = process.memoryUsage().rss;
  let peakRss = rssBefore;
  const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 100);
  const phaseStart: Record<string, number> = {};
  const epochEnd: number[] = [];
  let lastLoss = NaN;
  let lastPrint = 0;
  t = performance.now();
  const model = await trainStaticModel(trainDocs, {
    ...options,
    onProgress: (p) => {
      phaseStart[p.phase] ??= p.elapsedMs;
      if (p.phase === 'svd' && p.detail && process.stderr.isTTY) process.stderr.write(`  svd: ${p.detail}        \r`);
      if (p.phase === 'train') {
        lastLoss = p.loss;
        if (p.batch === p.batches) {
          epochEnd[p.epoch - 1] = p.elapsedMs;
          const prev = p.epoch > 1 ? epochEnd[p.epoch - 2] : phaseStart.train;
          const stages = Object.entries(p.stageMs ?? {}).map(([k, v]) => `${k} ${s(v)}`).join(', ');
          console.log(`  epoch ${p.epoch}/${p.epochs}: ${s(p.elapsedMs - prev)}, last batch loss ${p.loss.toFixed(3)} (cumulative: ${stages})`);
        } else if (process.stderr.isTTY && p.elapsedMs - lastPrint > 500) {
          lastPrint = p.elapsedMs;
          process.stderr.write(`  epoch ${p.epoch} batch ${p.batch}/${p.batches} loss ${p.loss.toFixed(3)}   \r`);
        }
      }
    },
  });
  const totalMs = performance.now() - t;
  clearInterval(sampler);
  peakRss = Math.max(peakRss, process.memoryUsage().rss);
  const svdMs = (phaseStart.train ?? phaseStart.done ?? 0) - (phaseStart.svd ?? 0);
  const trainMs = (phaseStart.done ?? 0) - (phaseStart.train ?? phaseStart.done ?? 0);
  console.log(
    `model: vocabulary ${model.vocab.terms.length}, dim ${model.dim}, ${model.info.training.pairs} pairs, final loss ${lastLoss.toFixed(3)}`,
  );
  console.log(
    `time: vocabulary+setup ${s(phaseStart.svd ?? phaseStart.train ?? 0)}, SVD ${s(svdMs)}, training ${s(trainMs)}, total ${s(totalMs)}`,
  );
  console.log(
    `RSS during training: peak ${mb(peakRss)} (+${mb(peakRss - rssBefore)} over ${mb(rssBefore)} before)` +
      (gc ? '' : ' (run node with --expose-gc for a cleaner baseline)'),
  );

  const bytes = model.serialize();
  console.log(`model size: ${mb(bytes.length)}`);
  const save = arg('save');
  if (save) writeFileSync(save, bytes);
  const reloaded = StaticEmbeddingModel.deserialize(bytes);

  // Encoding: abstracts, from text (tokenising included) and from tokens.
  const dim = model.dim;
  const n = papers.length;
  const nPad = Math.ceil(n / 4) * 4;
  const ws = new KernelWorkspace({ bytes: 4 * (nPad * dim + 2 * dim + 2 * nPad) + 1024 });
  const docVecs = ws.f32(Math.ceil(n / 4) * 4 * dim);
  t = performance.now();
  for (let i = 0; i < n; i++) reloaded.encodeTokens(tokenize(papers[i].abstract), docVecs, i * dim);
  const encMs = performance.now() - t;
  t = performance.now();
  for (let i = 0; i < n; i++) reloaded.encodeTokens(abstractTokens[i], docVecs, i * dim);
  const encTokMs = performance.now() - t;
  console.log(
    `encode: ${(n / (encMs / 1000)).toFixed(0)} docs/s from text, ${(n / (encTokMs / 1000)).toFixed(0)} docs/s from tokens`,
  );

  // Brute-force top-10 over all vectors: 200 title queries, query encoding included.
  const qv = ws.f32(2 * dim);
  const sims = ws.f32(2 * Math.ceil(n / 4) * 4);
  const all = Int32Array.from({ length: n }, (_, i) => i);
  const latJs: number[] = [];
  const latWasm: number[] = [];
  const jsScores = new Float32Array(n);
  for (let qi = 0; qi < 200; qi++) {
    const p = papers[order[(qi * 7919) % n]];
    let t1 = performance.now();
    const q = reloaded.encode(p.title);
    for (let i = 0; i < n; i++) {
      let acc = 0;
      const o = i * dim;
      for (let d = 0; d < dim; d++) acc += q[d] * docVecs[o + d];
      jsScores[i] = acc;
    }
    topK(all, jsScores, 10);
    latJs.push(performance.now() - t1);
    t1 = performance.now();
    reloaded.encodeTokens(tokenize(p.title), qv, 0);
    ws.gemmNT(qv, docVecs, sims, 2, Math.ceil(n / 4) * 4, dim);
    topK(all, sims, 10);
    latWasm.push(performance.now() - t1);
  }
  console.log(
    `brute-force top-10 over ${n} vectors: JS p50 ${pct(latJs, 50).toFixed(2)} ms p95 ${pct(latJs, 95).toFixed(2)} ms; ` +
      `WebAssembly SIMD p50 ${pct(latWasm, 50).toFixed(2)} ms p95 ${pct(latWasm, 95).toFixed(2)} ms`,
  );

  // Known-item evaluation: BM25 over abstracts only, semantic over abstract vectors, fusion.
  t = performance.now();
  const bm25 = Bm25Index.fromTokens(
    papers.map((p, i) => ({ id: p.id, fields: [abstractTokens[i]] })),
    [1],
  );
  console.log(`BM25 index (abstracts): ${ms(performance.now() - t)}`);
  const rankOf = (ids: readonly string[], target: string) => {
    const r = ids.indexOf(target);
    return r >= 0 ? r + 1 : null;
  };
  const sem: (number | null)[] = [];
  const kw: (number | null)[] = [];
  const fusionWeights = [1, 2, 3, 5]; // BM25 weight, semantic weight 1
  const fused = fusionWeights.map(() => [] as (number | null)[]);
  const bmLat: number[] = [];
  for (const ti of targets) {
    const p = papers[ti];
    reloaded.encodeTokens(titleTokens[ti], qv, 0);
    ws.gemmNT(qv, docVecs, sims, 2, Math.ceil(n / 4) * 4, dim);
    const semIds = topK(all, sims, 100).map((i) => papers[i].id);
    const t1 = performance.now();
    const kwIds = bm25.searchTerms(titleTokens[ti], 100).map((r) => r.id);
    bmLat.push(performance.now() - t1);
    sem.push(rankOf(semIds, p.id));
    kw.push(rankOf(kwIds, p.id));
    fusionWeights.forEach((w, fi) => {
      const f = reciprocalRankFusion([{ items: kwIds, weight: w }, { items: semIds, weight: 1 }], { limit: 100 });
      fused[fi].push(rankOf(f.map((x) => x.item), p.id));
    });
  }
  console.log(`known-item (${targets.length} titles -> ${n} abstracts, targets not trained on):`);
  console.log(`  semantic       ${metrics(sem)}`);
  console.log(`  BM25           ${metrics(kw)}   (top-100 query p50 ${pct(bmLat, 50).toFixed(2)} ms)`);
  fusionWeights.forEach((w, fi) => console.log(`  RRF ${w}:1        ${metrics(fused[fi])}`));
  ws.dispose();

  if (csf) {
    // Similar papers: the query paper's title + abstract against its judged pool (the query itself left out).
    const all = csf.papers.map((p, i) => ({ id: p.id, fields: [csfTokens[i].title, csfTokens[i].abstract] }));
    const arxivDocs = papers.map((p, i) => ({ id: p.id, fields: [titleTokens[i], abstractTokens[i]] }));
    const bm = Bm25Index.fromTokens(arxivDocs.concat(all), [2, 1]);
    const byId = new Map(csf.papers.map((p, i) => [p.id, i]));
    const text = (i: number) => [...csfTokens[i].title, ...csfTokens[i].abstract];
    const vec = (i: number) => reloaded.encodeTokens(text(i));
    const semanticWeights = [1, 2, 3]; // BM25 weight 1
    const rows: Record<string, { ap: number; ndcg: number }[]> = { semantic: [], BM25: [] };
    for (const w of semanticWeights) rows[`RRF 1:${w}`] = [];
    for (const q of csf.queries) {
      const judged = new Map(csf.qrels.get(q.queryId) ?? []);
      judged.delete(q.paperId);
      const qi = byId.get(q.paperId)!;
      const pool = [...judged.keys()].filter((id) => byId.has(id));
      const qv2 = vec(qi);
      const semRanked = pool
        .map((id) => ({ id, s: vec(byId.get(id)!).reduce((acc, x, d) => acc + x * qv2[d], 0) }))
        .sort((a, b) => b.s - a.s)
        .map((r) => r.id);
      const bmRanked = bm.rerank(text(qi), pool).map((r) => r.id);
      rows.semantic.push(similarityMetrics(semRanked, judged));
      rows.BM25.push(similarityMetrics(bmRanked, judged));
      const fuse = (wb: number, ws2: number) =>
        reciprocalRankFusion([{ items: bmRanked, weight: wb }, { items: semRanked, weight: ws2 }]).map((f) => f.item);
      for (const w of semanticWeights) rows[`RRF 1:${w}`].push(similarityMetrics(fuse(1, w), judged));
    }
    console.log(`CSFCube (${csf.queries.length} queries, judged pools; RRF weights BM25 : semantic):`);
    for (const [name, r] of Object.entries(rows)) {
      const mean = (f: (x: { ap: number; ndcg: number }) => number) => (100 * r.reduce((a, x) => a + f(x), 0)) / r.length;
      console.log(`  ${name.padEnd(22)} MAP ${mean((x) => x.ap).toFixed(1)}  NDCG%20 ${mean((x) => x.ndcg).toFixed(1)}`);
    }
  }
  console.log(`peak RSS (process): ${mb(process.resourceUsage().maxRSS * 1024)}`);
}

await main();
