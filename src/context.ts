// The composition root: builds everything a command or the server needs from the configuration and
// passes it down explicitly. No module-level singletons.
import path from 'node:path';
import type { Config } from './config.ts';
import { openDb, type Db } from './db/client.ts';
import { assertSchemaKnown, migrate } from './db/migrate.ts';
import { silentLogger, type Logger } from './log.ts';

export type Clock = () => Date;

export interface Context {
  config: Config;
  db: Db;
  log: Logger;
  clock: Clock;
  close(): Promise<void>;
}

export interface ContextOptions {
  log?: Logger;
  clock?: Clock;
  /** Apply pending migrations on open (serve, import); otherwise only refuse a too-new schema. */
  migrate?: boolean;
  /** Use this database instead of opening one (tests). */
  db?: Db;
}

export async function createContext(config: Config, opts: ContextOptions = {}): Promise<Context> {
  const log = opts.log ?? silentLogger;
  const db =
    opts.db ??
    (await openDb({ databaseUrl: config.databaseUrl, pgliteDir: path.join(config.dataDir, 'db') }));
  try {
    if (opts.migrate) {
      const applied = await migrate(db);
      for (const m of applied) log.info({ migration: `${m.version}_${m.name}` }, 'applied migration');
    } else {
      await assertSchemaKnown(db);
    }
  } catch (err) {
    if (!opts.db) await db.close();
    throw err;
  }
  return {
    config,
    db,
    log,
    clock: opts.clock ?? (() => new Date()),
    close: async () => {
      if (!opts.db) await db.close();
    },
  };
}
