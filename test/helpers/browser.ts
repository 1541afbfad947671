// Real-browser tests: Debian's Chromium driven by playwright-core (which never downloads a browser),
// against the app served in-process from an in-memory PGlite database seeded with known papers.
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { chromium, type Browser, type Page } from 'playwright-core';
import { loadConfig } from '../../src/config.ts';
import { createContext, type Context } from '../../src/context.ts';
import { openDb } from '../../src/db/client.ts';
import { migrate } from '../../src/db/migrate.ts';
import { buildApp } from '../../src/http/app.ts';
import { writePapers } from '../../src/papers/papers.repository.ts';
import type { PaperRecord } from '../../src/papers/paper.ts';
import { record } from './records.ts';

export const CHROMIUM_PATH = '/usr/bin/chromium';

/** `{ skip }` option for node:test: a reason when Debian's Chromium is not installed, else false. */
export const skipWithoutChromium: string | false = existsSync(CHROMIUM_PATH)
  ? false
  : `skipped: ${CHROMIUM_PATH} is not installed`;

const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
];

export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS, headless: true, timeout: 30_000 });
}

/** Path of axe-core's browser build, for page.addScriptTag({ path }). */
export const AXE_PATH = createRequire(import.meta.url).resolve('axe-core/axe.min.js');
let axeSource: string | undefined;

export interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: { target: string[]; failureSummary?: string }[];
}

/** Runs axe-core on the page for WCAG 2.0/2.1 A and AA rules and returns the violations. */
export async function axeViolations(page: Page): Promise<AxeViolation[]> {
  // Evaluated through the DevTools protocol: the site's Content-Security-Policy (no inline scripts)
  // rightly refuses a <script> tag added to the page, but does not apply to the test's own evaluation.
  axeSource ??= readFileSync(AXE_PATH, 'utf8');
  await page.evaluate(axeSource);
  return page.evaluate(async () => {
    const axe = (window as unknown as { axe: { run: (ctx: unknown, opts: unknown) => Promise<{ violations: AxeViolation[] }> } }).axe;
    const res = await axe.run(document, {
      runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] },
      resultTypes: ['violations'],
    });
    return res.violations.map((v) => ({
      id: v.id,
      impact: v.impact,
      help: v.help,
      nodes: v.nodes.map((n) => ({ target: n.target as string[], failureSummary: n.failureSummary })),
    }));
  });
}

/** Violations as readable lines for an assertion message. */
export function formatViolations(violations: AxeViolation[]): string {
  return violations
    .map((v) => `${v.id} (${v.impact}): ${v.help}\n${v.nodes.map((n) => `    ${n.target.join(' ')}${n.failureSummary ? `\n      ${n.failureSummary.replace(/\n/g, '\n      ')}` : ''}`).join('\n')}`)
    .join('\n');
}

// ---------------------------------------------------------------------------------------------
// The seeded site.

export const DAYS = ['2025-07-01', '2025-07-02', '2025-07-03'] as const;
export const PER_DAY = 10;
/** The site's "now": the evening of the last seeded day. */
export const NOW = new Date('2025-07-03T22:00:00Z');

/** A title built to break naive HTML: if it were not escaped, it would set window.__pwned. */
export const HOSTILE_TITLE =
  '<script>window.__pwned=1</script><img src=x onerror="window.__pwned=2"> & "Quoted" \'title\' </main>';
export const HOSTILE_ID = '2507.00305';
/** The one paper whose title has this word (for search). */
export const SEARCH_WORD = 'Zephyrine';
export const SEARCH_ID = '2507.00204';
/** One older paper, weeks before the three days, so week and month pages have a previous period. */
export const OLDER_ID = '2506.00001';
export const OLDER_DAY = '2025-06-20';

const TOPICS = [
  'Sparse Attention', 'Retrieval Augmentation', 'Diffusion Policies', 'Graph Transformers', 'Speech Tokenizers',
  'Reward Models', 'Vision Encoders', 'Mixture of Experts', 'Code Generation', 'Long Context',
];

export function seedRecords(): PaperRecord[] {
  const out: PaperRecord[] = [];
  DAYS.forEach((day, d) => {
    for (let i = 1; i <= PER_DAY; i++) {
      const id = `2507.${String((d + 1) * 100 + i).padStart(5, '0')}`;
      let title = `${TOPICS[(i + d) % TOPICS.length]} at Scale, Part ${d * PER_DAY + i}`;
      if (id === HOSTILE_ID) title = HOSTILE_TITLE;
      if (id === SEARCH_ID) title = `${SEARCH_WORD} Attention for Sparse Retrieval`;
      out.push(
        record({
          id,
          title,
          abstract: `We study ${title.toLowerCase()}. Experiments on ${i + 2} benchmarks show consistent gains.`,
          authors: i % 2 ? ['Ada Lovelace', `Author ${d}${i}`, 'José Müller'] : [`Author ${d}${i}`, 'Grace Hopper'],
          categories: i % 3 ? ['cs.LG', 'cs.AI'] : ['cs.CL'],
          firstListed: day,
          versions: [{ version: 1, date: `${DAYS[d]}T10:00:00Z` }],
        }),
      );
    }
  });
  out.push(
    record({
      id: OLDER_ID,
      title: 'An Older Survey of Token Embeddings',
      abstract: 'A survey from the previous month.',
      authors: ['Grace Hopper'],
      categories: ['cs.CL'],
      firstListed: OLDER_DAY,
    }),
  );
  return out;
}

export function idsOfDay(day: string): string[] {
  const d = DAYS.indexOf(day as (typeof DAYS)[number]);
  return Array.from({ length: PER_DAY }, (_, i) => `2507.${String((d + 1) * 100 + i + 1).padStart(5, '0')}`);
}

export interface Site {
  baseUrl: string;
  ctx: Context;
  close(): Promise<void>;
}

/** Serves the app on 127.0.0.1 (free port) from a fresh in-memory database holding seedRecords(). */
export async function startSite(): Promise<Site> {
  const config = loadConfig({
    env: { SECRET_KEY: 'x'.repeat(40), PAPERPULSE_DATA_DIR: '/nonexistent', PAPERPULSE_HARVEST: 'false', LOG_LEVEL: 'silent' },
    ensureDataDir: false,
  });
  const db = await openDb({ databaseUrl: null, pgliteDir: null });
  await migrate(db);
  await db.transaction((tx) => writePapers(tx, seedRecords()));
  // Distinct vote counts so the trending page and sort orders have something to show.
  await db.query(
    `UPDATE papers SET upvotes = (right(id, 2)::int * 7) % 23,
       trending_score = ((right(id, 2)::int * 7) % 23)::float8 / (1 + (3 - left(right(id, 3), 1)::int))`,
  );
  const ctx = await createContext(config, { db, clock: () => NOW });
  const app = await buildApp(ctx);
  await app.listen({ port: 0, host: '127.0.0.1' });
  const { port } = app.server.address() as AddressInfo;
  return {
    baseUrl: `http://127.0.0.1:${port}`,
    ctx,
    close: async () => {
      await app.close();
      await ctx.close();
      await db.close();
    },
  };
}
