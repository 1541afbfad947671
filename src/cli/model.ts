// `paperpulse model train`: trains the semantic search model on every paper in the database, embeds every
// paper and makes the new model the active one (one transaction: searches see the old model until then).
// `paperpulse model status`: the stored models.
import type { Command } from 'commander';
import { trainAndActivate } from '../search/model.service.ts';
import { listModels } from '../search/search.repository.ts';
import { CliError, withDataDir, type CliDeps, type CommonOptions } from './main.ts';
import { createProgress } from './progress.ts';

interface TrainOpts extends CommonOptions {
  threads: string;
  seed: string;
  epochs?: string;
  json?: boolean;
}

export function registerModel(program: Command, deps: CliDeps): void {
  const model = program.command('model').description('the semantic search model (see "model train" and docs/search.md)');

  withDataDir(
    model
      .command('train')
      .description('train the search model on the papers in the database, embed every paper and switch to it')
      .option('--threads <n>', 'threads for training (1 or 2)', '2')
      .option('--seed <n>', 'random seed (the same seed and papers give the same model)', '42')
      .option('--epochs <n>', 'training epochs (default 12)')
      .option('--json', 'print the summary as one JSON object on stdout')
      .addHelpText(
        'after',
        `
No model is downloaded: paperpulse trains its own on its papers (about 3 minutes for 57,000 papers on
two cores). Keyword search works without a model; similar papers need one.

Examples:
  paperpulse model train
  paperpulse model train --threads 1 --seed 7 --json`,
      )
      .exitOverride(),
  ).action(async (opts: TrainOpts) => {
    const threads = Number(opts.threads);
    const seed = Number(opts.seed);
    const epochs = opts.epochs === undefined ? undefined : Number(opts.epochs);
    if (threads !== 1 && threads !== 2) throw new CliError('--threads must be 1 or 2', 2);
    if (!Number.isInteger(seed) || seed < 0) throw new CliError('--seed must be a whole number >= 0', 2);
    if (epochs !== undefined && (!Number.isInteger(epochs) || epochs < 1 || epochs > 100)) {
      throw new CliError('--epochs must be a whole number between 1 and 100', 2);
    }
    const summary = await deps.withContext(opts, async (ctx) => {
      const progress = createProgress({ total: 1, label: 'model', format: ' {stage} |{bar}| {percentage}% | {detail}' });
      try {
        return await trainAndActivate(ctx.db, {
          threads,
          seed,
          epochs,
          onProgress: (p) => {
            if (p.phase === 'load') progress.update(0, { stage: 'loading', detail: `${p.papers} papers` });
            else if (p.phase === 'train') {
              const t = p.train;
              if (t.phase === 'train') {
                progress.setTotal(t.epochs * t.batches);
                progress.update((t.epoch - 1) * t.batches + t.batch, {
                  stage: 'training',
                  detail: `epoch ${t.epoch}/${t.epochs}, loss ${t.loss.toFixed(3)}`,
                });
              } else progress.update(0, { stage: t.phase, detail: t.detail ?? '' });
            } else if (p.phase === 'embed') {
              progress.setTotal(p.total);
              progress.update(p.done, { stage: 'embedding', detail: `${p.done} of ${p.total} papers` });
            } else progress.update(1, { stage: 'switching', detail: '' });
          },
        });
      } finally {
        progress.stop();
      }
    });
    if (opts.json) process.stdout.write(`${JSON.stringify(summary)}\n`);
    else {
      process.stdout.write(
        `Trained model ${summary.version} on ${summary.papers} papers (vocabulary ${summary.vocabulary}, dimension ${summary.dim}, ` +
          `${(summary.modelBytes / 1e6).toFixed(1)} MB): training ${(summary.trainMs / 1000).toFixed(1)} s, ` +
          `embedding ${(summary.embedMs / 1000).toFixed(1)} s. It is now the active model.\n`,
      );
    }
  });

  withDataDir(
    model.command('status').description('list the stored models').option('--json', 'print JSON').exitOverride(),
  ).action(async (opts: CommonOptions & { json?: boolean }) => {
    const models = await deps.withContext(opts, (ctx) => listModels(ctx.db));
    if (opts.json) process.stdout.write(`${JSON.stringify(models)}\n`);
    else if (models.length === 0) process.stdout.write('No model yet: run "paperpulse model train".\n');
    else {
      for (const m of models) {
        process.stdout.write(`${m.active ? '*' : ' '} ${m.version}  ${m.papersCount} papers  ${(m.size / 1e6).toFixed(1)} MB  ${m.createdAt}\n`);
      }
    }
  });
}
