// The composition root: builds everything a command or the server needs from the configuration and
// passes it down explicitly. No module-level singletons.
import { EventEmitter } from 'node:events';
import path from 'node:path';
import type { Config } from './config.ts';
import { openDb, type Db } from './db/client.ts';
import { assertSchemaKnown, migrate } from './db/migrate.ts';
import { silentLogger, type Logger } from './log.ts';

export type Clock = () => Date;

/**
 * In-process notifications between services, e.g. 'papers-changed' after a vote or an import, so that
 * caches can drop what they hold. Other processes sharing a server database do not see them: caches
 * must also expire on their own.
 */
export interface AppEvents {
  on(event: 'papers-changed', listener: (info: { paperIds?: string[] }) => void): unknown;
  off(event: 'papers-changed', listener: (info: { paperIds?: string[] }) => void): unknown;
  emit(event: 'papers-changed', info: { paperIds?: string[] }): boolean;
}

export interface Context {
  config: Config;
  db: Db;
  log: Logger;
  clock: Clock;
  events: AppEvents;
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
    events: new EventEmitter() as AppEvents,
    close: async () => {
      if (!opts.db) await db.close();
    },
  };
}
