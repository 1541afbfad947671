import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loadConfig } from '../../src/config.ts';
import { createContext } from '../../src/context.ts';
import { buildApp } from '../../src/http/app.ts';
import { writePapers } from '../../src/papers/papers.repository.ts';
import { forEachDatabase } from '../helpers/db.ts';
import { record } from '../helpers/records.ts';

const config = loadConfig({ env: { SECRET_KEY: 'x'.repeat(40), PAPERPULSE_DATA_DIR: '/nonexistent' }, ensureDataDir: false });

forEachDatabase('GET /healthz', (fx) => {
  test('reports the database and the number of papers', async () => {
    await fx.db.transaction((tx) => writePapers(tx, [record({ id: '2507.00001' }), record({ id: '2507.00002' })]));
    const app = await buildApp(await createContext(config, { db: fx.db }));
    const res = await app.inject({ method: 'GET', url: '/healthz' });
    assert.equal(res.statusCode, 200);
    assert.deepEqual(res.json(), { status: 'ok', database: fx.kind, papers: 2 });
    await app.close();
  });
});
