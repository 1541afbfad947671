// `paperpulse model train`: trains the semantic search model on every paper in the database, embeds every
// paper and makes the new model the active one (one transaction: searches see the old model until then).
// `paperpulse model embed`: the same for an external embedder (EMBEDDER=onnx|openai), which needs no training;
// `--missing` only adds vectors for papers that arrived after the active model.
// `paperpulse model status`: the stored models.
import type { Command } from 'commander';
import { createExternalEmbedder, EmbedderError, type Embedder } from '../search/embedder.ts';
import { embedAndActivate, embedMissing, loadBuiltinEmbedder, trainAndActivate } from '../search/model.service.ts';
import { activeModelInfo, listModels } from '../search/search.repository.ts';
import { CliError, configFrom, withDataDir, type CliDeps, type CommonOptions } from './main.ts';
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
    const embedderKind = configFrom(opts).embedder;
    if (embedderKind !== 'builtin') {
      throw new CliError(
        `EMBEDDER=${embedderKind}: the vectors come from ${embedderKind === 'onnx' ? 'the ONNX model folder' : 'the embeddings endpoint'}, ` +
          'there is nothing to train. Run "paperpulse model embed" to embed every paper with it (unset EMBEDDER to use the built-in model).',
        2,
      );
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
    model
      .command('embed')
      .description('embed every paper with the configured external embedder (EMBEDDER=onnx|openai) and switch to it')
      .option('--missing', 'only embed papers that have no vector under the active model (also works with the built-in model)')
      .option('--json', 'print the summary as one JSON object on stdout')
      .addHelpText(
        'after',
        `
EMBEDDER=onnx runs a local sentence-transformers ONNX export (EMBEDDER_MODEL_DIR); EMBEDDER=openai calls an
OpenAI-compatible /v1/embeddings endpoint (EMBEDDINGS_URL, EMBEDDINGS_MODEL). Every paper is embedded first,
then the vectors are stored and switched to in one transaction: until then the previous vectors serve.
"serve" does the same in the background when the configured embedder is not the one that made the active
vectors, and embeds new papers as they arrive.

Examples:
  EMBEDDER=onnx EMBEDDER_MODEL_DIR=./models/all-MiniLM-L6-v2 paperpulse model embed
  EMBEDDER=openai EMBEDDINGS_URL=http://127.0.0.1:11434/v1 EMBEDDINGS_MODEL=nomic-embed-text paperpulse model embed
  paperpulse model embed --missing`,
      )
      .exitOverride(),
  ).action(async (opts: CommonOptions & { missing?: boolean; json?: boolean }) => {
    if (configFrom(opts).embedder === 'builtin' && !opts.missing) {
      throw new CliError('EMBEDDER is builtin: its vectors come with training. Run "paperpulse model train", or "model embed --missing" for papers that arrived after it.', 2);
    }
    const result = await deps.withContext(opts, async (ctx) => {
      let embedder: Embedder | null = null;
      try {
        if (ctx.config.embedder === 'builtin') {
          embedder = (await loadBuiltinEmbedder(ctx.db))?.embedder ?? null;
          if (!embedder) throw new CliError('no built-in model is active: run "paperpulse model train" first', 1);
        } else {
          embedder = await createExternalEmbedder(ctx.config);
        }
        const e = embedder!;
        if (opts.missing) {
          const active = await activeModelInfo(ctx.db);
          if (!active || active.embedder !== e.identity) {
            throw new CliError(
              `the active vectors ${active ? `(${active.version}) were not made by ${e.label}` : 'do not exist yet'}: run "paperpulse model embed" without --missing`,
              1,
            );
          }
          const progress = createProgress({ total: 1, label: 'embed', format: ' embedding |{bar}| {value} papers' });
          try {
            const t0 = performance.now();
            const r = await embedMissing(ctx.db, e, { onProgress: (n) => progress.update(n) });
            return { missing: true as const, modelId: r.modelId, added: r.added, ms: Math.round(performance.now() - t0) };
          } finally {
            progress.stop();
          }
        }
        const progress = createProgress({ total: 1, label: 'embed', format: ' {stage} |{bar}| {percentage}% | {detail}' });
        try {
          const t0 = performance.now();
          const s = await embedAndActivate(ctx.db, e, {
            onProgress: (p) => {
              if (p.phase === 'load') progress.update(0, { stage: 'loading', detail: `${p.papers} papers` });
              else if (p.phase === 'embed') {
                progress.setTotal(p.total);
                const rate = p.done / Math.max(0.001, (performance.now() - t0) / 1000);
                progress.update(p.done, { stage: 'embedding', detail: `${p.done} of ${p.total} papers, ${rate.toFixed(0)}/s` });
              } else if (p.phase === 'activate') progress.update(1, { stage: 'switching', detail: '' });
            },
          });
          return { missing: false as const, ...s };
        } finally {
          progress.stop();
        }
      } catch (err) {
        if (err instanceof EmbedderError) throw new CliError(err.message, 1);
        throw err;
      } finally {
        await embedder?.close();
      }
    });
    if (opts.json) process.stdout.write(`${JSON.stringify(result)}\n`);
    else if (result.missing) {
      process.stdout.write(`Embedded ${result.added} paper${result.added === 1 ? '' : 's'} that had no vector (${(result.ms / 1000).toFixed(1)} s).\n`);
    } else {
      process.stdout.write(
        `Embedded ${result.papers} papers with ${result.embedder} (dimension ${result.dim}): ${(result.embedMs / 1000).toFixed(1)} s, ` +
          `${result.papersPerSecond} papers/s; stored and switched in ${(result.writeMs / 1000).toFixed(1)} s. ${result.version} is now the active model.\n`,
      );
    }
  });

  withDataDir(
    model.command('status').description('list the stored models').option('--json', 'print JSON').exitOverride(),
  ).action(async (opts: CommonOptions & { json?: boolean }) => {
    const models = await deps.withContext(opts, (ctx) => listModels(ctx.db));
    if (opts.json) process.stdout.write(`${JSON.stringify(models)}\n`);
    else if (models.length === 0) process.stdout.write('No model yet: run "paperpulse model train" (or "model embed" with an external EMBEDDER).\n');
    else {
      for (const m of models) {
        const what = m.kind === 'builtin' ? `${(m.size / 1e6).toFixed(1)} MB` : m.embedder;
        process.stdout.write(
          `${m.active ? '*' : ' '} ${m.version}  ${m.kind}  ${m.vectors} vectors (made on ${m.papersCount} papers)  dim ${m.dim ?? '?'}  ${what}  ${m.createdAt}\n`,
        );
      }
    }
  });
}
