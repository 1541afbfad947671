// `paperpulse ingest arxiv`: fetches papers from arXiv (by id, by search query, or by OAI-PMH date range /
// set) and writes them page by page. Progress goes to stderr on a terminal; the summary to stdout.
import type { Command } from 'commander';
import type { Context } from '../context.ts';
import { ArxivError, createArxivClient, type RetryInfo } from '../ingest/arxiv-client.ts';
import { harvestIds, harvestOai, harvestQuery, type HarvestProgress, type HarvestResult } from '../ingest/harvest.service.ts';
import type { Rejection } from '../ingest/ingest.service.ts';
import type { IngestSummary } from '../ingest/types.ts';
import { parseArxivId } from '../papers/arxiv-id.ts';
import { isValidDate } from '../papers/paper.ts';
import { CliError } from './main.ts';
import cliProgress from 'cli-progress';

export interface IngestDeps {
  withContext: <T>(opts: { dataDir?: string }, fn: (ctx: Context) => Promise<T>) => Promise<T>;
}

interface IngestArxivOpts {
  ids?: string;
  query?: string;
  from?: string;
  until?: string;
  set?: string;
  max?: string;
  json?: boolean;
  dataDir?: string;
}

type Plan =
  | { mode: 'ids'; ids: string[] }
  | { mode: 'query'; query: string; max: number | undefined }
  | { mode: 'oai'; from?: string; until?: string; set?: string; max: number | undefined };

/** Rejections printed in full before the rest are only counted. */
const MAX_PRINTED_REJECTIONS = 50;
const SEE_HELP = '(see paperpulse ingest arxiv --help)';
// OAI-PMH set specs as arXiv names them: "cs", "physics:hep-th", "cs:cs:AI", "math:math:AG".
const SET_SPEC = /^[a-z][a-z-]*(:[A-Za-z][A-Za-z.-]*)*$/;

const usage = (message: string) => new CliError(`${message} ${SEE_HELP}`, 2);

/** Checks the options and turns them into one harvest plan; throws a usage error (exit code 2) otherwise. */
export function planFromOptions(opts: IngestArxivOpts): Plan {
  const oai = opts.from !== undefined || opts.until !== undefined || opts.set !== undefined;
  const chosen = [opts.ids !== undefined && '--ids', opts.query !== undefined && '--query', oai && '--from/--until/--set'].filter(
    Boolean,
  ) as string[];
  if (chosen.length === 0) {
    throw usage('choose what to fetch: --ids <list>, --query <search>, or --from/--until/--set for an OAI-PMH harvest');
  }
  if (chosen.length > 1) throw usage(`${chosen.join(' and ')} cannot be combined; choose one of them`);

  let max: number | undefined;
  if (opts.max !== undefined) {
    if (!/^\d+$/.test(opts.max.trim()) || Number(opts.max) < 1) throw usage(`--max must be a positive whole number, got "${opts.max}"`);
    max = Number(opts.max);
    if (opts.ids !== undefined) throw usage('--max applies to --query and --from/--until/--set, not to --ids');
  }

  if (opts.ids !== undefined) {
    const raw = opts.ids.split(/[\s,]+/).map((s) => s.trim()).filter(Boolean);
    if (raw.length === 0) throw usage('--ids needs at least one arXiv id');
    const bad = raw.filter((s) => parseArxivId(s) === null);
    if (bad.length) {
      throw usage(
        `not arXiv ids: ${bad.map((b) => `"${b}"`).join(', ')} (expected e.g. 2501.00001, 2501.00001v2, hep-th/9901001 or https://arxiv.org/abs/2501.00001)`,
      );
    }
    return { mode: 'ids', ids: raw };
  }
  if (opts.query !== undefined) {
    const query = opts.query.trim();
    if (!query) throw usage('--query needs a search, e.g. --query "ti:diffusion AND cat:cs.CV"');
    return { mode: 'query', query, max };
  }
  for (const [flag, value] of [['--from', opts.from], ['--until', opts.until]] as const) {
    if (value !== undefined && !isValidDate(value)) throw usage(`${flag} must be a real date in YYYY-MM-DD form, got "${value}"`);
  }
  if (opts.from && opts.until && opts.from > opts.until) {
    throw usage(`--from ${opts.from} is after --until ${opts.until}`);
  }
  if (opts.set !== undefined && !SET_SPEC.test(opts.set)) {
    throw usage(`--set "${opts.set}" is not an OAI-PMH set spec (e.g. cs, math, physics:hep-th, cs:cs:AI)`);
  }
  return { mode: 'oai', from: opts.from, until: opts.until, set: opts.set, max };
}

const summaryLine = (s: IngestSummary) =>
  `read ${s.read}, inserted ${s.inserted}, updated ${s.updated}, unchanged ${s.unchanged}, rejected ${s.rejected}`;

function describePlan(plan: Plan): string {
  if (plan.mode === 'ids') return `${plan.ids.length} id${plan.ids.length === 1 ? '' : 's'}`;
  if (plan.mode === 'query') return `query "${plan.query}"`;
  const parts = [plan.set && `set ${plan.set}`, plan.from && `from ${plan.from}`, plan.until && `until ${plan.until}`].filter(Boolean);
  return `OAI-PMH ${parts.join(' ') || '(everything)'}`;
}

/** A progress bar on stderr when it is a terminal (nothing otherwise), started with every field filled. */
function harvestBar(enabled: boolean, format: string) {
  if (!enabled) return { update() {}, setTotal() {}, stop() {} } as Pick<cliProgress.SingleBar, 'update' | 'setTotal' | 'stop'>;
  const bar = new cliProgress.SingleBar(
    { format, stream: process.stderr, hideCursor: true, clearOnComplete: false },
    cliProgress.Presets.shades_classic,
  );
  bar.start(1, 0, { pages: 0, inserted: 0, rejected: 0, note: '' });
  return bar;
}

export function registerIngest(program: Command, deps: IngestDeps): void {
  const ingest = program
    .command('ingest')
    .description('fetch papers from a remote source into the database (see "ingest arxiv")');

  ingest
    .command('arxiv')
    .description('fetch papers from arXiv: by id, by search query, or by date range / set (OAI-PMH)')
    .option('--ids <list>', 'comma-separated arXiv ids or abs/pdf URLs (e.g. 2501.00001,2501.00002v2)')
    .option('--query <q>', 'arXiv API search query (e.g. "ti:transformer AND cat:cs.CL"), paged 100 at a time')
    .option('--from <YYYY-MM-DD>', 'OAI-PMH: records changed on or after this day')
    .option('--until <YYYY-MM-DD>', 'OAI-PMH: records changed on or before this day')
    .option('--set <spec>', 'OAI-PMH set (e.g. cs, math, physics:hep-th)')
    .option('--max <n>', 'stop after reading about this many records (--query, OAI-PMH)')
    .option('--json', 'print the summary as one JSON object on stdout')
    .option('--data-dir <dir>', 'data directory (embedded database, outbox, secret key); env PAPERPULSE_DATA_DIR')
    .addHelpText(
      'after',
      `
Choose exactly one way to select papers:
  --ids            look papers up by id with the arXiv API (100 ids per request)
  --query          page through an arXiv API search (start = 0, 100, 200, ...) until the results end,
                   --max is reached, or 3 pages in a row added nothing new (already stored)
  --from/--until/--set
                   harvest with OAI-PMH ListRecords (metadataPrefix arXiv), following resumption
                   tokens to the end; dates are arXiv's datestamps (last change), in UTC

arXiv asks for one request at a time and a pause between requests: the pause is ARXIV_REQUEST_INTERVAL
(default 3s, never less against arxiv.org). Busy answers (503 + Retry-After) are waited out and retried.
Each page is written as it arrives, so an interrupted harvest keeps what it fetched and running it
again is safe: stored papers count as "unchanged", newer versions as "updated".

Exit status: 0 when everything requested was stored; 1 when a record was rejected, an id was not
found, or arXiv could not be reached or answered with an error; 2 for wrong options.

Examples:
  paperpulse ingest arxiv --ids 2501.00001,https://arxiv.org/abs/2501.00002v2
  paperpulse ingest arxiv --query "cat:cs.CL AND ti:retrieval" --max 500
  paperpulse ingest arxiv --set cs --from 2025-06-01 --until 2025-06-02
  ARXIV_API_URL=http://localhost:8080/api/query paperpulse ingest arxiv --ids 2501.00001 --json`,
    )
    .exitOverride()
    .action(async (opts: IngestArxivOpts) => {
      const plan = planFromOptions(opts);
      const tty = Boolean(process.stderr.isTTY);
      let printed = 0;
      let last: HarvestProgress | null = null;

      const outcome = await deps.withContext({ dataDir: opts.dataDir }, async (ctx) => {
        const progress = harvestBar(tty, ` arXiv ${plan.mode === 'oai' ? 'OAI-PMH' : plan.mode} |{bar}| {value}/{total} records | {pages} pages | {inserted} new | {rejected} rejected {note}`);
        const onProgress = (p: HarvestProgress) => {
          last = p;
          progress.setTotal(Math.max(p.expected ?? p.summary.read, p.summary.read, 1));
          progress.update(p.summary.read, { pages: p.pages, inserted: p.summary.inserted, rejected: p.summary.rejected, note: '' });
        };
        const onReject = (r: Rejection) => {
          if (printed++ < MAX_PRINTED_REJECTIONS) process.stderr.write(`${r.where}: ${r.field} ${r.message}\n`);
        };
        const onRetry = (r: RetryInfo) => {
          const note = `arXiv: ${r.reason}, retrying in ${Math.ceil(r.waitMs / 1000)}s (attempt ${r.attempt + 1})`;
          if (tty) progress.update(last?.summary.read ?? 0, { note });
          else process.stderr.write(`${note}\n`);
        };
        const client = createArxivClient(ctx.config, ctx.log, undefined, { onRetry });
        try {
          let result: HarvestResult;
          if (plan.mode === 'ids') {
            result = await harvestIds(ctx, client, plan.ids, { onProgress, onReject });
          } else if (plan.mode === 'query') {
            result = await harvestQuery(ctx, client, plan.query, {
              pageSize: Math.min(100, plan.max ?? 100),
              maxResults: plan.max,
              onProgress,
              onReject,
            });
          } else {
            result = await harvestOai(ctx, client, { from: plan.from, until: plan.until, set: plan.set, maxRecords: plan.max, onProgress, onReject });
          }
          return { result, error: null as ArxivError | null };
        } catch (err) {
          if (err instanceof ArxivError) return { result: null, error: err };
          throw err;
        } finally {
          progress.stop();
        }
      });

      if (printed > MAX_PRINTED_REJECTIONS) {
        process.stderr.write(`... and ${printed - MAX_PRINTED_REJECTIONS} more rejected records\n`);
      }
      const p = last as HarvestProgress | null;
      const counts: IngestSummary & { pages: number; requests: number } = outcome.result
        ? {
            read: outcome.result.read,
            inserted: outcome.result.inserted,
            updated: outcome.result.updated,
            unchanged: outcome.result.unchanged,
            rejected: outcome.result.rejected,
            pages: outcome.result.pages,
            requests: outcome.result.requests,
          }
        : { read: 0, inserted: 0, updated: 0, unchanged: 0, rejected: 0, ...p?.summary, pages: p?.pages ?? 0, requests: p?.requests ?? 0 };
      const notFound = outcome.result?.notFound ?? [];
      for (const id of notFound) process.stderr.write(`not found on arXiv: ${id}\n`);

      if (opts.json) {
        process.stdout.write(
          JSON.stringify({
            mode: plan.mode,
            ...counts,
            notFound,
            ...(outcome.error ? { error: outcome.error.message } : {}),
          }) + '\n',
        );
      } else if (outcome.error) {
        if (counts.pages > 0) {
          process.stdout.write(
            `arXiv harvest (${describePlan(plan)}) stopped after ${counts.pages} page${counts.pages === 1 ? '' : 's'}, which were kept: ${summaryLine(counts)}; run it again to continue\n`,
          );
        }
      } else {
        process.stdout.write(
          `harvested arXiv (${describePlan(plan)}): ${summaryLine(counts)}` +
            ` (${counts.pages} page${counts.pages === 1 ? '' : 's'}, ${counts.requests} request${counts.requests === 1 ? '' : 's'})` +
            (notFound.length ? `; ${notFound.length} not found` : '') +
            '\n',
        );
      }
      if (outcome.error) throw new CliError(outcome.error.message, 1);
      if (counts.rejected > 0 || notFound.length > 0) process.exitCode = 1;
    });
  ingest.exitOverride();
}
