// `paperpulse digest send` and `paperpulse digest status`: plan a period's digests into the outbox and
// deliver them (or, with --dry-run, only show what would be sent).
import type { Command } from 'commander';
import { createDigestSender, planDigests, type PlanSummary } from '../digest/digest.service.ts';
import { latestListingDay } from '../digest/digest.repository.ts';
import { digestPeriod } from '../digest/period.ts';
import { isValidDate } from '../papers/paper.ts';
import { parseEmailAddress } from '../mail/address.ts';
import { createMailer } from '../mail/mailer.ts';
import { outboxCounts, type SendSummary } from '../mail/outbox.ts';
import pino from 'pino';
import { CliError, configFrom, withDataDir, type CliDeps, type CommonOptions } from './main.ts';

interface SendOpts extends CommonOptions {
  period: string;
  date?: string;
  dryRun?: boolean;
  to?: string;
  batchSize: string;
  concurrency: string;
  json?: boolean;
}

export function registerDigest(program: Command, deps: CliDeps): void {
  const digest = program.command('digest').description('email digests of trending papers (see "digest send")');

  withDataDir(
    digest
      .command('send')
      .description("compose, render and send the digests of a period to every confirmed subscriber")
      .requiredOption('--period <daily|weekly>', 'which subscribers and which papers: daily (one listing day) or weekly (an ISO week)')
      .option('--date <YYYY-MM-DD>', 'the listing day (daily) or a day of the week (weekly); default: the latest day with papers')
      .option('--dry-run', 'compose and render, print what would be sent, change nothing')
      .option('--to <address>', 'only this subscriber (with --dry-run, also print the message)')
      .option('--batch-size <n>', 'outbox rows a sender claims at a time', '20')
      .option('--concurrency <n>', 'messages in flight at once (SMTP connections)', '3')
      .option('--json', 'print the summary as one JSON object')
      .addHelpText(
        'after',
        `
Each subscriber gets at most one digest per period: running the command again sends nothing twice, and
a run that was interrupted (even killed) picks up where it stopped. Papers already sent to a subscriber
are never sent to them again. Without SMTP_URL, messages are written to <data dir>/outbox/*.eml.
"serve" sends digests on its own after each arXiv announcement; this command is for cron set-ups,
catching up and testing.

Examples:
  paperpulse digest send --period daily --dry-run
  paperpulse digest send --period daily --to me@example.org --dry-run
  paperpulse digest send --period weekly --date 2025-07-04`,
      )
      .exitOverride(),
  ).action(async (opts: SendOpts) => {
    if (opts.period !== 'daily' && opts.period !== 'weekly') throw new CliError('--period must be daily or weekly', 2);
    if (opts.date !== undefined && !isValidDate(opts.date)) throw new CliError(`--date must be a day written YYYY-MM-DD (got "${opts.date}")`, 2);
    const batchSize = Number(opts.batchSize);
    if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > 1000) throw new CliError('--batch-size must be a whole number from 1 to 1000', 2);
    const concurrency = Number(opts.concurrency);
    if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 20) throw new CliError('--concurrency must be a whole number from 1 to 20', 2);
    let to: string | undefined;
    if (opts.to !== undefined) {
      const parsed = parseEmailAddress(opts.to);
      if (!parsed.ok) throw new CliError(`--to: ${parsed.error}`, 2);
      to = parsed.address;
    }
    const frequency = opts.period;
    // Warnings (retries, failures) go to stderr, so stdout holds only the summary.
    const log = pino({ level: configFrom(opts).logLevel, base: undefined, timestamp: pino.stdTimeFunctions.isoTime }, pino.destination(2));
    const result = await deps.withContext(
      opts,
      async (ctx) => {
        const day = opts.date ?? (await latestListingDay(ctx.db));
        if (!day) return null;
        const period = digestPeriod(frequency, day);
        const digestDeps = { db: ctx.db, config: ctx.config, clock: ctx.clock, log };
        const plan = await planDigests(digestDeps, { period, dryRun: opts.dryRun, onlyEmail: to, withMessages: Boolean(opts.dryRun && to) });
        if (to && plan.subscribers === 0) {
          throw new CliError(`${to} is not a confirmed ${frequency} subscriber (see its preferences page, or subscribe it first)`, 1);
        }
        if (opts.dryRun) return { plan, sent: null as SendSummary | null, where: null as string | null };
        const mailer = createMailer({ smtpUrl: ctx.config.smtpUrl, dataDir: ctx.config.dataDir, from: ctx.config.mailFrom });
        const abort = new AbortController();
        const stop = () => abort.abort();
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
        try {
          const sender = createDigestSender(digestDeps, mailer, { batchSize, concurrency });
          const sent = await sender.drain(abort.signal);
          return { plan, sent, where: mailer.description };
        } finally {
          process.off('SIGINT', stop);
          process.off('SIGTERM', stop);
          await mailer.close();
        }
      },
      { log },
    );
    if (!result) {
      process.stdout.write('No papers yet, so no digest to send. Import or harvest papers first.\n');
      return;
    }
    if (opts.json) {
      const { plan, sent } = result;
      process.stdout.write(JSON.stringify({ ...summaryJson(plan), sent, dryRun: Boolean(opts.dryRun) }) + '\n');
      return;
    }
    process.stdout.write(describe(result.plan, Boolean(opts.dryRun)));
    for (const p of opts.dryRun ? result.plan.previews : []) {
      process.stdout.write(`  ${p.email}  ${p.papers.length} paper${p.papers.length === 1 ? '' : 's'}  ${p.subject}\n`);
      if (p.message) process.stdout.write(`\n${p.message.text}\n`);
    }
    if (result.sent) {
      const s = result.sent;
      process.stdout.write(
        `delivered through ${result.where}: ${s.sent} sent, ${s.retried} to retry later, ${s.failed} failed` +
          (s.resent ? ` (${s.resent} interrupted by an earlier run sent again)` : '') +
          '\n',
      );
    }
  });

  withDataDir(
    digest
      .command('status')
      .description('count the outbox by state (queued, sent, failed, ...)')
      .option('--json', 'print one JSON object')
      .exitOverride(),
  ).action(async (opts: CommonOptions & { json?: boolean }) => {
    const counts = await deps.withContext(opts, (ctx) => outboxCounts(ctx.db));
    if (opts.json) process.stdout.write(JSON.stringify(counts) + '\n');
    else process.stdout.write(Object.entries(counts).map(([k, v]) => `${k.padEnd(10)} ${v}`).join('\n') + '\n');
  });
  digest.exitOverride();
}

function summaryJson(plan: PlanSummary) {
  return {
    period: plan.period.key,
    frequency: plan.period.frequency,
    candidates: plan.candidates,
    subscribers: plan.subscribers,
    planned: plan.planned,
    alreadyPlanned: plan.alreadyPlanned,
    empty: plan.empty,
  };
}

function describe(plan: PlanSummary, dryRun: boolean): string {
  const p = plan.period;
  const range = p.start === p.end ? p.start : `${p.start} to ${p.end}`;
  return (
    `${p.frequency} digest ${p.key} (${range}): ${plan.candidates} papers, ${plan.subscribers} confirmed subscriber${plan.subscribers === 1 ? '' : 's'}; ` +
    `${plan.planned} digest${plan.planned === 1 ? '' : 's'} ${dryRun ? 'would be sent' : 'planned'}` +
    (plan.alreadyPlanned ? `, ${plan.alreadyPlanned} planned before` : '') +
    (plan.empty ? `, ${plan.empty} with no matching paper (nothing sent)` : '') +
    '\n'
  );
}
