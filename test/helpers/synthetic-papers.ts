// Synthetic papers in topics as a paperpulse JSON lines file, for tests that import through the command line.
import { writeFileSync } from 'node:fs';

export const TOPIC_WORDS: Record<string, string[]> = {
  'cs.LG': ['graph', 'neural', 'network'],
  'q-bio.BM': ['protein', 'folding'],
  'astro-ph.GA': ['galaxy', 'telescope'],
  'cs.CV': ['image', 'segmentation'],
  'cs.CL': ['language', 'token'],
};
const FILLER = ['the', 'of', 'for', 'and', 'a', 'paper', 'model', 'search', 'retrieval'];

export interface SyntheticPaper {
  id: string;
  title: string;
  summary: string;
  categories: string[];
}

/** Papers `from` .. `from + n - 1`: topic by index, words drawn with a fixed seed. */
export function syntheticPapers(n: number, from = 0): SyntheticPaper[] {
  const cats = Object.keys(TOPIC_WORDS);
  return Array.from({ length: n }, (_, k) => {
    const i = from + k;
    let s = 977 + i * 7919;
    const r = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
    const cat = cats[i % cats.length];
    const words = TOPIC_WORDS[cat];
    const pick = (a: string[]) => a[Math.floor(r() * a.length)];
    // Numbered words give the built-in model a vocabulary to learn (stems in two papers or more).
    const extra = () => `${cat.replace(/[^a-z]/gi, '')}${Math.floor(r() * 40)}`;
    const title = `${Array.from({ length: 4 }, () => pick(words)).join(' ')} ${extra()} ${i}`;
    const summary = Array.from({ length: 40 }, () => (r() < 0.5 ? pick(words) : r() < 0.6 ? extra() : pick(FILLER))).join(' ') + '.';
    return { id: `2509.${String(10000 + i)}`, title, summary, categories: [cat] };
  });
}

export function writeJsonl(file: string, papers: SyntheticPaper[]): void {
  const day = (i: number) => `2025-09-${String(1 + (i % 28)).padStart(2, '0')}`;
  writeFileSync(
    file,
    papers
      .map((p, i) => JSON.stringify({ id: p.id, title: p.title, authors: [`Author ${i}`], categories: p.categories, comment: '', summary: p.summary, first_listed: day(i) }))
      .join('\n') + '\n',
  );
}
