import type { Command } from 'commander';
import { Option } from 'commander';
import { importFile } from '../ingest/import.service.ts';
import { IMPORT_FORMATS, type ImportFormat } from '../ingest/types.ts';
import { CliError, withDataDir, type CliDeps, type CommonOptions } from './main.ts';
import { createProgress, formatBytes } from './progress.ts';

interface ImportOpts extends CommonOptions {
  format?: ImportFormat;
  strict?: boolean;
  json?: boolean;
  batchSize?: string;
}

/** Rejections printed in full before the rest are only counted. */
const MAX_PRINTED_REJECTIONS = 50;

export function registerImport(program: Command, deps: CliDeps): void {
  withDataDir(
    program
      .command('import')
      .description('bulk-import papers from a file, or standard input with "-" (gzip is detected)')
      .argument('<file>', 'file to import, or - for standard input')
      .addOption(new Option('--format <format>', 'input format (detected when omitted)').choices(IMPORT_FORMATS))
      .option('--strict', 'abort the whole import, changing nothing, at the first bad record')
      .option('--json', 'print the summary as one JSON object on stdout')
      .option('--batch-size <n>', 'records per transaction', '1000')
      .addHelpText(
        'after',
        `
Formats:
  jsonl       paperpulse JSON lines: id, title, authors[], categories[], comment, summary, first_listed
  kaggle      the Kaggle arxiv-metadata-oai-snapshot JSON lines (authors_parsed, versions[], ...)
  arxiv-atom  an arXiv API response (Atom XML)
  arxiv-oai   an arXiv OAI-PMH response (metadataPrefix arXiv or arXivRaw)
  hf-daily    a Hugging Face /api/daily_papers response (JSON)

Importing is idempotent: the same file twice changes nothing. A newer version of a paper replaces
the stored one; an older or equal one changes nothing. Bad records are reported with file, line or
record, and field; the good ones go in and the command exits with status 1.

Examples:
  paperpulse import arxiv-cs.jsonl.gz
  zcat dump.jsonl.gz | paperpulse import - --format jsonl --json`,
      ),
  ).action(async (file: string, opts: ImportOpts) => {
    const batchSize = Number(opts.batchSize);
    if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > 50_000) {
      throw new CliError('--batch-size must be a whole number between 1 and 50000', 2);
    }
    let printed = 0;
    const result = await deps.withContext(opts, async (ctx) => {
      const progress = createProgress({
        total: 1,
        label: 'importing',
        format: ' importing |{bar}| {percentage}% | {done} | {records} records | {rejected} rejected | ETA {eta_formatted}',
      });
      let totalSet = false;
      try {
        return await importFile(ctx.db, file, {
          format: opts.format,
          strict: opts.strict,
          batchSize,
          onReject: (r) => {
            if (printed++ < MAX_PRINTED_REJECTIONS) process.stderr.write(`${r.where}: ${r.field} ${r.message}\n`);
          },
          onProgress: ({ bytes, totalBytes, summary }) => {
            if (!totalSet && totalBytes) {
              progress.setTotal(totalBytes);
              totalSet = true;
            }
            progress.update(totalBytes ? bytes : 0, {
              done: totalBytes ? `${formatBytes(bytes)} of ${formatBytes(totalBytes)}` : formatBytes(bytes),
              records: summary.read,
              rejected: summary.rejected,
            });
          },
        });
      } finally {
        progress.stop();
      }
    });
    if (printed > MAX_PRINTED_REJECTIONS) {
      process.stderr.write(`... and ${printed - MAX_PRINTED_REJECTIONS} more rejected records\n`);
    }
    const { format, ...counts } = result;
    if (opts.json) {
      process.stdout.write(JSON.stringify({ ...counts, format }) + '\n');
    } else {
      process.stdout.write(
        `imported ${file === '-' ? 'standard input' : file} (${format}): read ${counts.read}, inserted ${counts.inserted}, ` +
          `updated ${counts.updated}, unchanged ${counts.unchanged}, rejected ${counts.rejected}\n`,
      );
    }
    if (counts.rejected > 0) process.exitCode = 1;
  });
}
