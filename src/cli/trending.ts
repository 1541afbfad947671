// `paperpulse trending recompute`: recomputes every paper's stored trending score, for when the formula
// (src/feed/ranking.ts) changes, or to repair upvote counts with --recount-votes.
import type { Command } from 'commander';
import { DEFAULT_RECOMPUTE_BATCH, recomputeAll } from '../feed/votes.service.ts';
import { CliError, withDataDir, type CliDeps, type CommonOptions } from './main.ts';
import { createProgress } from './progress.ts';

interface RecomputeOpts extends CommonOptions {
  json?: boolean;
  batchSize: string;
  recountVotes?: boolean;
}

export function registerTrending(program: Command, deps: CliDeps): void {
  const trending = program
    .command('trending')
    .description('maintain the stored trending scores (see "trending recompute" and docs/trending.md)');

  withDataDir(
    trending
      .command('recompute')
      .description("recompute every paper's trending score from its upvotes, comments and listing day")
      .option('--json', 'print the summary as one JSON object on stdout')
      .option('--batch-size <n>', 'papers per transaction', String(DEFAULT_RECOMPUTE_BATCH))
      .option('--recount-votes', "also set each paper's upvotes to its number of votes (repairs counts after users were deleted)")
      .addHelpText(
        'after',
        `
Scores are kept up to date by every vote, and they do not age: run this only after the formula
changed (a new paperpulse release says so) or with --recount-votes to repair upvote counts.
On a PostgreSQL server it is safe while paperpulse serves: each batch is one transaction, and the
count updates of votes on its papers wait for it. The embedded database allows one process at a
time, so stop the server first.

Examples:
  paperpulse trending recompute
  paperpulse trending recompute --recount-votes --json`,
      )
      .exitOverride(),
  ).action(async (opts: RecomputeOpts) => {
    const batchSize = Number(opts.batchSize);
    if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > 100_000) {
      throw new CliError('--batch-size must be a whole number between 1 and 100000', 2);
    }
    const started = Date.now();
    const summary = await deps.withContext(opts, async (ctx) => {
      const progress = createProgress({
        total: 1,
        label: 'recomputing',
        format: ' recomputing |{bar}| {percentage}% | {papers} papers | {changed} changed | ETA {eta_formatted}',
      });
      try {
        return await recomputeAll(ctx, {
          batchSize,
          recountVotes: opts.recountVotes,
          onProgress: (p) => {
            progress.setTotal(Math.max(1, p.total));
            progress.update(p.done, { papers: `${p.done} of ${p.total}`, changed: p.changed });
          },
        });
      } finally {
        progress.stop();
      }
    });
    if (opts.json) {
      process.stdout.write(JSON.stringify(summary) + '\n');
      return;
    }
    const seconds = ((Date.now() - started) / 1000).toFixed(1);
    process.stdout.write(
      `recomputed the trending scores of ${summary.papers} papers in ${summary.batches} batch${summary.batches === 1 ? '' : 'es'} ` +
        `(${seconds} s): ${summary.changed} changed` +
        (opts.recountVotes ? `, ${summary.recounted} upvote count${summary.recounted === 1 ? '' : 's'} corrected` : '') +
        '\n',
    );
  });
  trending.exitOverride();
}
