import type { Command } from 'commander';
import { paperStats } from '../papers/papers.repository.ts';
import { withDataDir, type CliDeps, type CommonOptions } from './main.ts';
import { formatBytes } from './progress.ts';

export function registerStats(program: Command, deps: CliDeps): void {
  withDataDir(
    program
      .command('stats')
      .description('count papers, by listing day and by primary category, and show the database size')
      .option('--json', 'print one JSON object')
      .option('--days <n>', 'how many recent days to list', '14'),
  ).action(async (opts: CommonOptions & { json?: boolean; days: string }) => {
    const days = Math.max(1, Math.min(3650, Number(opts.days) || 14));
    const s = await deps.withContext(opts, (ctx) => paperStats(ctx.db, { days }));
    if (opts.json) {
      process.stdout.write(JSON.stringify(s) + '\n');
      return;
    }
    const out: string[] = [];
    out.push(`papers: ${s.papers} over ${s.days} listing days${s.firstDay ? ` (${s.firstDay} to ${s.lastDay})` : ''}`);
    out.push(`database size: ${formatBytes(s.databaseBytes)}`);
    if (s.byDay.length) {
      out.push('', 'by day (most recent):');
      for (const d of s.byDay) out.push(`  ${d.day}  ${String(d.papers).padStart(7)}`);
      out.push('', 'by primary category:');
      for (const c of s.byCategory) out.push(`  ${c.category.padEnd(18)} ${String(c.papers).padStart(7)}`);
    } else {
      out.push('', 'No papers yet. Import a file (paperpulse import FILE) or harvest arXiv (paperpulse ingest arxiv --help).');
    }
    process.stdout.write(out.join('\n') + '\n');
  });
}
