import type { Command } from 'commander';
import { configFrom, withDataDir, type CliDeps, type CommonOptions } from './main.ts';
import { openDb } from '../db/client.ts';
import { migrate, schemaStatus } from '../db/migrate.ts';
import path from 'node:path';

export function registerMigrate(program: Command, _deps: CliDeps): void {
  withDataDir(
    program
      .command('migrate')
      .description('apply pending database migrations (forward-only, each in its own transaction)')
      .option('--status', 'only show the current and latest schema version'),
  ).action(async (opts: CommonOptions & { status?: boolean }) => {
    const config = configFrom(opts);
    const db = await openDb({ databaseUrl: config.databaseUrl, pgliteDir: path.join(config.dataDir, 'db') });
    try {
      if (opts.status) {
        const s = await schemaStatus(db);
        process.stdout.write(`schema version ${s.current}; this paperpulse knows up to ${s.known}; ${s.pending.length} pending\n`);
        return;
      }
      const applied = await migrate(db, {
        onApply: (m) => process.stdout.write(`applied ${String(m.version).padStart(4, '0')}_${m.name}\n`),
      });
      if (applied.length === 0) process.stdout.write('the database schema is up to date\n');
    } finally {
      await db.close();
    }
  });
}
