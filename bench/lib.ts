// Shared by the benchmark scripts: running the real CLI, reading a process's memory and CPU time, and the CSFCube
// evaluation collection with its official metrics.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const projectRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const bin = path.join(projectRoot, 'bin', 'paperpulse.js');

/** Runs `paperpulse ARGS` and returns its stdout; throws unless it exits 0 (or 1 when `allowRejects`). */
export function runPaperpulse(args: string[], env: Record<string, string>, opts: { allowRejects?: boolean } = {}): string {
  const res = spawnSync(process.execPath, [bin, ...args], { env: { ...process.env, ...env }, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  if (res.status !== 0 && !(opts.allowRejects && res.status === 1)) throw new Error(`paperpulse ${args.join(' ')} failed (${res.status})`);
  return res.stdout;
}

export const paperpulseBin = bin;

/** Resident memory of a process in bytes (0 when it is gone). */
export function rssOf(pid: number): number {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

/** CPU time (user + system) a process has used so far, in seconds (0 when it is gone). */
export function cpuSecondsOf(pid: number): number {
  try {
    // After the command name (in parentheses) come the fields from the 3rd on: utime is the 14th, stime the 15th.
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ').pop()!.split(' ');
    return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
  } catch {
    return 0;
  }
}

/** USER_HZ: the unit of /proc/<pid>/stat times (100 on Linux). */
const CLOCK_TICKS = 100;

export interface CsfPaper {
  id: string;
  title: string;
  abstract: string;
}

export interface CsfCube {
  papers: CsfPaper[];
  queries: { queryId: string; paperId: string }[];
  /** query id -> (paper id -> relevance 0..3) */
  qrels: Map<string, Map<string, number>>;
}

export function loadCsfCube(dir: string): CsfCube {
  const lines = (f: string) => readFileSync(path.join(dir, f), 'utf8').split('\n').filter((l) => l.trim());
  const papers = lines('corpus.jsonl').map((l) => {
    const d = JSON.parse(l) as { paper_id: string; title: string; abstract: string };
    return { id: `csfcube:${d.paper_id}`, title: d.title, abstract: d.abstract };
  });
  const queries = lines('queries.jsonl').map((l) => {
    const d = JSON.parse(l) as { query_id: string; paper_id: string };
    return { queryId: d.query_id, paperId: `csfcube:${d.paper_id}` };
  });
  const qrels = new Map<string, Map<string, number>>();
  for (const l of lines('qrels.tsv').slice(1)) {
    const [q, p, rel] = l.split('\t');
    if (!qrels.has(q)) qrels.set(q, new Map());
    qrels.get(q)!.set(`csfcube:${p}`, Number(rel));
  }
  return { papers, queries, qrels };
}

/** Average precision (relevance >= 2 counts) and NDCG at 20% of the pool (linear gain, weights 1, 1, 1/log2(3), ...). */
export function similarityMetrics(ranked: readonly string[], judged: ReadonlyMap<string, number>) {
  let hits = 0;
  let ap = 0;
  const relevant = [...judged.values()].filter((r) => r >= 2).length;
  ranked.forEach((id, i) => {
    if ((judged.get(id) ?? 0) >= 2) ap += ++hits / (i + 1);
  });
  const cut = Math.max(1, Math.floor(0.2 * judged.size));
  const dcg = (rels: number[]) => rels.slice(0, cut).reduce((acc, r, i) => acc + r / Math.log2(Math.max(2, i + 1)), 0);
  const ideal = dcg([...judged.values()].sort((a, b) => b - a));
  return { ap: relevant ? ap / relevant : 0, ndcg: ideal > 0 ? dcg(ranked.map((id) => judged.get(id) ?? 0)) / ideal : 0 };
}
