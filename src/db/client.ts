// One small database interface over the two PostgreSQL back ends paperpulse supports:
// PGlite (in-process WASM Postgres, the embedded default) and a PostgreSQL server through node-postgres.
// Repositories only see `Queryable`; they never know which one they talk to.
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { PGlite } from '@electric-sql/pglite';
import { vector } from '@electric-sql/pglite-pgvector';
import { acquireDirLock, type DirLock } from './lock.ts';

export interface Queryable {
  query<T = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<T[]>;
  /** Runs several statements separated by semicolons, without parameters (migrations). */
  exec(sql: string): Promise<void>;
}

export interface Db extends Queryable {
  readonly kind: 'pglite' | 'postgres';
  /** Runs fn in one transaction: commit when it resolves, rollback when it throws. */
  transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T>;
  /** Whether the pgvector extension can be used on this database. */
  hasVector(): Promise<boolean>;
  close(): Promise<void>;
}

// DATE columns come back as 'YYYY-MM-DD' strings on both back ends (never a Date at local midnight);
// int8 (count(*), sums) as numbers, which is safe for every count paperpulse keeps.
const DATE_OID = 1082;
const INT8_OID = 20;
pg.types.setTypeParser(DATE_OID, (v: string) => v);
pg.types.setTypeParser(INT8_OID, (v: string) => Number(v));

export interface OpenOptions {
  /** PostgreSQL server URL; when null, PGlite is used. */
  databaseUrl: string | null;
  /** PGlite data directory; null means in memory (tests). */
  pgliteDir?: string | null;
  /** Max connections in the server pool. */
  poolSize?: number;
}

export async function openDb(opts: OpenOptions): Promise<Db> {
  if (opts.databaseUrl) return openPostgres(opts.databaseUrl, opts.poolSize ?? 10);
  return openPglite(opts.pgliteDir ?? null);
}

async function openPostgres(url: string, poolSize: number): Promise<Db> {
  const pool = new pg.Pool({ connectionString: url, max: poolSize });
  // An idle client that errors (server restart) must not crash the process.
  pool.on('error', () => {});
  try {
    const client = await pool.connect();
    client.release();
  } catch (err) {
    await pool.end().catch(() => {});
    throw new Error(`cannot connect to the PostgreSQL server in DATABASE_URL: ${(err as Error).message}`);
  }
  let vectorChecked: boolean | null = null;
  const run = async <T>(c: pg.Pool | pg.PoolClient, sql: string, params?: unknown[]) =>
    (await c.query(sql, params as unknown[])).rows as T[];
  return {
    kind: 'postgres',
    query: (sql, params) => run(pool, sql, params),
    exec: async (sql) => {
      await pool.query(sql);
    },
    async transaction(fn) {
      const client = await pool.connect();
      try {
        await client.query('BEGIN');
        const tx: Queryable = {
          query: (sql, params) => run(client, sql, params),
          exec: async (sql) => {
            await client.query(sql);
          },
        };
        const result = await fn(tx);
        await client.query('COMMIT');
        return result;
      } catch (err) {
        await client.query('ROLLBACK').catch(() => {});
        throw err;
      } finally {
        client.release();
      }
    },
    async hasVector() {
      if (vectorChecked === null) {
        const rows = await run<{ ok: boolean }>(
          pool,
          `SELECT EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'vector') AS ok`,
        );
        vectorChecked = rows[0].ok;
      }
      return vectorChecked;
    },
    close: () => pool.end(),
  };
}

async function openPglite(dir: string | null): Promise<Db> {
  let lock: DirLock | null = null;
  if (dir) {
    mkdirSync(dir, { recursive: true });
    lock = acquireDirLock(path.join(path.dirname(dir), `${path.basename(dir)}.lock`));
  }
  let pglite: PGlite;
  try {
    pglite = await PGlite.create({
      dataDir: dir ?? undefined,
      extensions: { vector },
      parsers: { [DATE_OID]: (v: string) => v, [INT8_OID]: (v: string) => Number(v) },
    });
  } catch (err) {
    lock?.release();
    throw new Error(`cannot open the embedded database in ${dir ?? 'memory'}: ${(err as Error).message}`);
  }
  return {
    kind: 'pglite',
    query: async (sql, params) => (await pglite.query(sql, params as unknown[])).rows as never,
    exec: async (sql) => {
      await pglite.exec(sql);
    },
    transaction: (fn) =>
      pglite.transaction(async (t) =>
        fn({
          query: async (sql, params) => (await t.query(sql, params as unknown[])).rows as never,
          exec: async (sql) => {
            await t.exec(sql);
          },
        }),
      ),
    hasVector: async () => true,
    async close() {
      try {
        // A checkpoint on close keeps the write-ahead log from growing across restarts.
        if (!pglite.closed) {
          await pglite.exec('CHECKPOINT').catch(() => {});
          await pglite.close();
        }
      } finally {
        lock?.release();
      }
    },
  };
}
