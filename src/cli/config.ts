import type { Command } from 'commander';
import { describeConfig, loadConfig } from '../config.ts';

export function registerConfig(program: Command): void {
  program
    .command('config')
    .description('print the effective configuration (secrets masked) and where each value comes from')
    .option('--data-dir <dir>', 'data directory; env PAPERPULSE_DATA_DIR')
    .option('--json', 'one JSON object, keyed by environment variable')
    .action((opts: { dataDir?: string; json?: boolean }) => {
      const config = loadConfig({ flags: { 'data-dir': opts.dataDir }, ensureDataDir: false });
      const rows = describeConfig(config);
      if (opts.json) {
        process.stdout.write(JSON.stringify(Object.fromEntries(rows.map((r) => [r.env, r.value]))) + '\n');
        return;
      }
      const width = Math.max(...rows.map((r) => r.env.length));
      for (const r of rows) process.stdout.write(`${r.env.padEnd(width)}  ${r.value}\n${' '.repeat(width + 2)}# ${r.description}\n`);
    });
}
