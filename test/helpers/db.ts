// Runs a database test once per configured database: PGlite (in memory) always, and the real
// PostgreSQL server when TEST_DATABASE_URL is set, each on a fresh, migrated database.
import { randomBytes } from 'node:crypto';
import { after, before, describe } from 'node:test';
import pg from 'pg';
import { openDb, type Db } from '../../src/db/client.ts';
import { migrate } from '../../src/db/migrate.ts';

export type DbKind = 'pglite' | 'postgres';

/** Creates a fresh database on the server and returns its URL and a drop function. */
export async function createServerDatabase(baseUrl: string): Promise<{ url: string; drop: () => Promise<void> }> {
  const name = `paperpulse_test_${Date.now()}_${randomBytes(3).toString('hex')}`;
  const admin = new pg.Client({ connectionString: baseUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(baseUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: async () => {
      const c = new pg.Client({ connectionString: baseUrl });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await c.end();
    },
  };
}

export interface DbFixture {
  kind: DbKind;
  /** The open, migrated database (valid inside the tests of the describe block). */
  db: Db;
  /** The server URL of this database (postgres only), for code that opens its own connections. */
  url: string | null;
}

/**
 * describe() the same tests for each database. Inside, use `fx.db`.
 * Without TEST_DATABASE_URL the PostgreSQL variant is skipped with a visible reason.
 */
export function forEachDatabase(title: string, body: (fx: DbFixture) => void): void {
  const serverUrl = process.env.TEST_DATABASE_URL;
  for (const kind of ['pglite', 'postgres'] as DbKind[]) {
    const skip = kind === 'postgres' && !serverUrl ? 'skipped: TEST_DATABASE_URL is not set (no PostgreSQL server)' : false;
    describe(`${title} [${kind}]`, { skip }, () => {
      const fx = { kind, db: undefined as unknown as Db, url: null as string | null };
      let drop: (() => Promise<void>) | null = null;
      before(async () => {
        if (kind === 'pglite') {
          fx.db = await openDb({ databaseUrl: null, pgliteDir: null });
        } else {
          const created = await createServerDatabase(serverUrl!);
          drop = created.drop;
          fx.url = created.url;
          fx.db = await openDb({ databaseUrl: created.url });
        }
        await migrate(fx.db);
      });
      after(async () => {
        await fx.db?.close();
        await drop?.();
      });
      body(fx);
    });
  }
}

/** Path of ../shared beside the checkout, or null with a reason to skip. */
export { sharedDir, skipWithoutShared } from './shared.ts';
