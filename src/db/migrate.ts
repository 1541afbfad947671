// Forward-only migrations: src/db/migrations/NNNN_name.sql, applied in order, each in its own
// transaction together with its row in schema_migrations. Concurrent migrators (several processes
// starting at once on one server) serialise on an advisory lock taken inside each transaction.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Db } from './client.ts';

const MIGRATIONS_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), 'migrations');
/** Arbitrary constant identifying paperpulse's migration lock among advisory locks. */
const MIGRATION_LOCK_KEY = 7_261_001;

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

export class SchemaTooNewError extends Error {
  constructor(readonly dbVersion: number, readonly knownVersion: number) {
    super(
      `the database schema is at version ${dbVersion}, but this paperpulse knows migrations only up to ` +
        `${knownVersion}: it was migrated by a newer paperpulse. Upgrade paperpulse (or point it at another database); ` +
        'it will not run against a schema it does not know.',
    );
    this.name = 'SchemaTooNewError';
  }
}

export function loadMigrations(dir = MIGRATIONS_DIR): Migration[] {
  const files = readdirSync(dir).filter((f) => /^\d{4}_[a-z0-9_]+\.sql$/.test(f)).sort();
  return files.map((file) => ({
    version: Number(file.slice(0, 4)),
    name: file.slice(5, -4),
    sql: readFileSync(path.join(dir, file), 'utf8'),
  }));
}

async function ensureTable(db: Db): Promise<void> {
  await db.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
    version integer PRIMARY KEY,
    name text NOT NULL,
    applied_at timestamptz NOT NULL DEFAULT now()
  )`);
}

export interface SchemaStatus {
  current: number;
  known: number;
  pending: Migration[];
}

export async function schemaStatus(db: Db, migrations = loadMigrations()): Promise<SchemaStatus> {
  await ensureTable(db);
  const rows = await db.query<{ version: number }>('SELECT version FROM schema_migrations');
  const applied = new Set(rows.map((r) => r.version));
  const current = rows.reduce((m, r) => Math.max(m, r.version), 0);
  const known = migrations.reduce((m, r) => Math.max(m, r.version), 0);
  return { current, known, pending: migrations.filter((m) => !applied.has(m.version)) };
}

/** Throws SchemaTooNewError when the database was migrated by a newer paperpulse. */
export async function assertSchemaKnown(db: Db, migrations = loadMigrations()): Promise<SchemaStatus> {
  const status = await schemaStatus(db, migrations);
  if (status.current > status.known) throw new SchemaTooNewError(status.current, status.known);
  return status;
}

export async function migrate(
  db: Db,
  opts: { migrations?: Migration[]; onApply?: (m: Migration) => void } = {},
): Promise<Migration[]> {
  const migrations = opts.migrations ?? loadMigrations();
  const status = await assertSchemaKnown(db, migrations);
  const applied: Migration[] = [];
  for (const m of status.pending) {
    const done = await db.transaction(async (tx) => {
      await tx.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK_KEY]);
      // Another process may have applied it while we waited for the lock.
      const rows = await tx.query('SELECT 1 FROM schema_migrations WHERE version = $1', [m.version]);
      if (rows.length) return false;
      try {
        await tx.exec(m.sql);
      } catch (err) {
        throw new Error(`migration ${m.version}_${m.name} failed: ${(err as Error).message}`);
      }
      await tx.query('INSERT INTO schema_migrations (version, name) VALUES ($1, $2)', [m.version, m.name]);
      return true;
    });
    if (done) {
      applied.push(m);
      opts.onApply?.(m);
    }
  }
  return applied;
}
