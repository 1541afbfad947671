// Which papers go into one subscriber's digest. Pure: given the candidate papers (with their trending
// scores), the period and the subscriber's preferences and history, it returns the list.
//
// 1. Papers listed within the period.
// 2. With categories chosen: papers having at least one of them (primary or cross-listed).
// 3. With keywords: papers whose title or abstract mentions at least one of them as whole words,
//    ignoring case and accents ("graph neural" matches "Graph Neural Networks", not "paragraph").
// 4. Not a paper this subscriber has been sent before (each paper at most once per subscriber).
// 5. Highest trending score first (then more upvotes, later listing, id), the first `paperCount`.
import type { Preferences } from '../subscriptions/subscription.ts';

export interface DigestCandidate {
  id: string;
  title: string;
  authors: string[];
  abstract: string;
  categories: string[];
  firstListed: string;
  upvotes: number;
  trendingScore: number;
}

/** Candidates ranked once and with their text folded for keyword matching, shared by every subscriber. */
export interface PreparedCandidates {
  readonly ranked: readonly DigestCandidate[];
  /** ` folded title and abstract ` per candidate, same order as ranked. */
  readonly text: readonly string[];
}

/** Lowercase, accents removed, everything but letters and digits turned into single spaces. */
export function foldText(s: string): string {
  return s
    .normalize('NFKD')
    .replace(/\p{M}+/gu, '')
    .toLowerCase()
    .replace(/[^\p{L}\p{N}]+/gu, ' ')
    .trim();
}

export function compareCandidates(a: DigestCandidate, b: DigestCandidate): number {
  return (
    b.trendingScore - a.trendingScore ||
    b.upvotes - a.upvotes ||
    (a.firstListed < b.firstListed ? 1 : a.firstListed > b.firstListed ? -1 : 0) ||
    (a.id < b.id ? 1 : a.id > b.id ? -1 : 0)
  );
}

export function prepareCandidates(candidates: readonly DigestCandidate[]): PreparedCandidates {
  const ranked = [...candidates].sort(compareCandidates);
  return { ranked, text: ranked.map((c) => ` ${foldText(`${c.title} ${c.abstract}`)} `) };
}

export interface ComposeInput {
  candidates: readonly DigestCandidate[] | PreparedCandidates;
  period: { start: string; end: string };
  preferences: Pick<Preferences, 'paperCount' | 'categories' | 'keywords'>;
  /** Ids of papers this subscriber has already been sent. */
  alreadySent?: ReadonlySet<string>;
}

export function composeDigest(input: ComposeInput): DigestCandidate[] {
  const prepared = 'ranked' in input.candidates ? input.candidates : prepareCandidates(input.candidates);
  const { start, end } = input.period;
  const { paperCount, categories, keywords } = input.preferences;
  const wanted = categories.length ? new Set(categories) : null;
  const words = keywords.map((k) => foldText(k)).filter(Boolean).map((k) => ` ${k} `);
  const sent = input.alreadySent;
  const out: DigestCandidate[] = [];
  const seen = new Set<string>();
  for (let i = 0; i < prepared.ranked.length && out.length < paperCount; i++) {
    const p = prepared.ranked[i];
    if (p.firstListed < start || p.firstListed > end) continue;
    if (sent?.has(p.id) || seen.has(p.id)) continue;
    if (wanted && !p.categories.some((c) => wanted.has(c))) continue;
    if (words.length && !words.some((w) => prepared.text[i].includes(w))) continue;
    seen.add(p.id);
    out.push(p);
  }
  return out;
}

/** Preferences that compose the same digest (for subscribers with no history among the candidates). */
export function preferenceKey(p: Pick<Preferences, 'paperCount' | 'categories' | 'keywords'>): string {
  return JSON.stringify([p.paperCount, p.categories, p.keywords]);
}

/**
 * composeDigest for many subscribers of one period: subscribers whose history holds none of the
 * candidates share one composition per distinct preference set (most of them, most days). Same
 * results as composeDigest; the returned lists are shared, do not modify them.
 */
export function createComposer(
  candidates: readonly DigestCandidate[] | PreparedCandidates,
  period: { start: string; end: string },
): (preferences: ComposeInput['preferences'], alreadySent?: ReadonlySet<string>) => readonly DigestCandidate[] {
  const prepared = 'ranked' in candidates ? candidates : prepareCandidates(candidates);
  const shared = new Map<string, DigestCandidate[]>();
  return (preferences, alreadySent) => {
    if (alreadySent?.size) return composeDigest({ candidates: prepared, period, preferences, alreadySent });
    const key = preferenceKey(preferences);
    let list = shared.get(key);
    if (!list) shared.set(key, (list = composeDigest({ candidates: prepared, period, preferences })));
    return list;
  };
}
