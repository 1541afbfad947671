import type { Command } from 'commander';
import { createLogger } from '../log.ts';
import { buildApp } from '../http/app.ts';
import { startScheduler } from '../jobs/scheduler.ts';
import { startDigestJob } from '../jobs/digest-job.ts';
import { startHousekeepingJob } from '../jobs/housekeeping-job.ts';
import { startRetrainJob } from '../jobs/retrain-job.ts';
import { arxivHarvestRunner } from '../ingest/harvest-runner.ts';
import { configFrom, withDataDir, type CliDeps, type CommonOptions } from './main.ts';
import { createContext } from '../context.ts';

export function registerServe(program: Command, _deps: CliDeps): void {
  withDataDir(
    program
      .command('serve')
      .description('run the web server (and the arXiv harvest scheduler) until SIGINT/SIGTERM')
      .option('--host <host>', 'address to listen on; env HOST (default 127.0.0.1)')
      .option('--port <port>', 'port to listen on; env PORT (default 3000)')
      .addHelpText(
        'after',
        `
On first start the database is created and migrated. On an empty database a first arXiv harvest of
the configured categories (PAPERPULSE_CATEGORIES) runs in the background; after that, a harvest
follows each arXiv announcement (Sunday to Thursday, 20:00 US Eastern). PAPERPULSE_HARVEST=false
turns harvesting off.`,
      ),
  ).action(async (opts: CommonOptions) => {
    const config = configFrom(opts);
    const log = createLogger(config.logLevel);
    const ctx = await createContext(config, { migrate: true, log });
    // One log line per request costs throughput; it is on at LOG_LEVEL=debug (a reverse proxy usually logs them).
    const app = await buildApp(ctx, { logRequests: ['debug', 'trace'].includes(config.logLevel) });
    let scheduler: ReturnType<typeof startScheduler> | null = null;
    let digests: ReturnType<typeof startDigestJob> | null = null;
    let searchModel: ReturnType<typeof startRetrainJob> | null = null;
    let housekeeping: ReturnType<typeof startHousekeepingJob> | null = null;
    let stopping: Promise<void> | null = null;
    const shutdown = (signal: string) => {
      if (stopping) return stopping;
      log.info({ signal }, 'shutting down');
      // A second signal while shutting down forces the exit.
      process.once(signal as NodeJS.Signals, () => process.exit(130));
      stopping = (async () => {
        await app.close();
        await scheduler?.stop();
        await digests?.stop();
        await searchModel?.stop();
        await housekeeping?.stop();
        await ctx.close();
        log.info('stopped');
      })();
      return stopping;
    };
    await new Promise<void>((resolve, reject) => {
      process.once('SIGINT', () => void shutdown('SIGINT').then(resolve, reject));
      process.once('SIGTERM', () => void shutdown('SIGTERM').then(resolve, reject));
      app
        .listen({ host: config.host, port: config.port })
        .then((address) => {
          log.info(`paperpulse is serving on ${address} (database: ${ctx.db.kind === 'pglite' ? `embedded, ${config.dataDir}` : 'PostgreSQL server'})`);
          scheduler = startScheduler(ctx, arxivHarvestRunner);
          digests = startDigestJob(ctx);
          housekeeping = startHousekeepingJob(ctx);
          // Retrains the built-in model (worker thread) or embeds with the configured embedder; embeds new papers.
          searchModel = startRetrainJob(ctx);
        })
        .catch(async (err: Error) => {
          await ctx.close();
          reject(new Error(`cannot listen on ${config.host}:${config.port}: ${err.message}`));
        });
    });
  });
}
