import assert from 'node:assert/strict';
import { test } from 'node:test';
import { getPaper, paperStats, writePapers } from '../../src/papers/papers.repository.ts';
import { forEachDatabase } from '../helpers/db.ts';
import { record } from '../helpers/records.ts';

forEachDatabase('paper store', (fx) => {
  test('inserts a new paper and reads it back with everything in order', async () => {
    const counts = await fx.db.transaction((tx) =>
      writePapers(tx, [record({ id: '2507.00001v1', authors: ['Zoë Ångström', 'Bob Li', 'Carla Diaz'] })]),
    );
    assert.deepEqual(counts, { inserted: 1, updated: 0, unchanged: 0 });
    const p = await getPaper(fx.db, '2507.00001');
    assert.ok(p);
    assert.equal(p.version, 1);
    assert.deepEqual(p.authors, ['Zoë Ångström', 'Bob Li', 'Carla Diaz']);
    assert.deepEqual(p.authorKeys, ['zoe angstrom', 'bob li', 'carla diaz']);
    assert.equal(p.primaryCategory, 'cs.CL');
    assert.equal(p.abstract, 'We study things. And more things.');
    assert.equal(p.firstListed, '2025-07-02');
  });

  test('the same copy twice changes nothing', async () => {
    const again = await fx.db.transaction((tx) =>
      writePapers(tx, [record({ id: '2507.00001v1', authors: ['Zoë Ångström', 'Bob Li', 'Carla Diaz'] })]),
    );
    assert.deepEqual(again, { inserted: 0, updated: 0, unchanged: 1 });
  });

  test('a newer version replaces the content and keeps the listing day and the version history', async () => {
    const v2 = record({
      id: '2507.00001v2',
      title: 'A Better Study of Things',
      authors: ['Bob Li'],
      firstListed: '2025-08-01',
      versions: [
        { version: 1, date: '2025-07-01T10:00:00Z' },
        { version: 2, date: '2025-07-20T10:00:00Z' },
      ],
    });
    const counts = await fx.db.transaction((tx) => writePapers(tx, [v2]));
    assert.deepEqual(counts, { inserted: 0, updated: 1, unchanged: 0 });
    const p = await getPaper(fx.db, '2507.00001');
    assert.equal(p!.title, 'A Better Study of Things');
    assert.equal(p!.version, 2);
    assert.deepEqual(p!.authors, ['Bob Li']);
    assert.equal(p!.firstListed, '2025-07-02', 'a paper stays on the day it was first listed');
    assert.deepEqual(p!.versions.map((v) => v.version), [1, 2]);
  });

  test('an older version changes nothing', async () => {
    const counts = await fx.db.transaction((tx) => writePapers(tx, [record({ id: '2507.00001v1', title: 'Old title' })]));
    assert.deepEqual(counts, { inserted: 0, updated: 0, unchanged: 1 });
    assert.equal((await getPaper(fx.db, '2507.00001'))!.title, 'A Better Study of Things');
  });

  test('a copy without a version only fills missing fields', async () => {
    const counts = await fx.db.transaction((tx) =>
      writePapers(tx, [record({ id: '2507.00001', title: 'Unversioned title', doi: '10.1000/xyz' })]),
    );
    assert.deepEqual(counts, { inserted: 0, updated: 1, unchanged: 0 });
    const p = await getPaper(fx.db, '2507.00001');
    assert.equal(p!.title, 'A Better Study of Things');
    assert.equal(p!.doi, '10.1000/xyz');
  });

  test('old-style ids and duplicates inside one batch', async () => {
    const counts = await fx.db.transaction((tx) =>
      writePapers(tx, [
        record({ id: 'hep-th/9901001v1', categories: ['hep-th'] }),
        record({ id: 'hep-th/9901001v2', categories: ['hep-th'], title: 'Second version' }),
      ]),
    );
    assert.equal(counts.inserted, 1);
    assert.equal(counts.inserted + counts.updated + counts.unchanged, 2);
    const p = await getPaper(fx.db, 'hep-th/9901001');
    assert.equal(p!.title, 'Second version');
    assert.equal(p!.version, 2);
  });

  test('a failing batch leaves nothing behind', async () => {
    const bad = { ...record({ id: '2507.00777' }), authors: [] as string[] }; // violates the authors check
    await assert.rejects(fx.db.transaction((tx) => writePapers(tx, [record({ id: '2507.00666' }), bad])));
    assert.equal(await getPaper(fx.db, '2507.00666'), null);
  });

  test('hostile text is stored as text', async () => {
    const title = '<script>alert(1)</script> "onmouseover=x \u202Eevil';
    await fx.db.transaction((tx) => writePapers(tx, [record({ id: '2507.00999', title })]));
    assert.equal((await getPaper(fx.db, '2507.00999'))!.title, title);
  });

  test('stats count papers by day and category', async () => {
    const s = await paperStats(fx.db);
    assert.equal(s.papers, 3); // 2507.00001, hep-th/9901001, 2507.00999
    assert.ok(s.byCategory.some((c) => c.category === 'hep-th' && c.papers === 1));
    assert.ok(s.databaseBytes > 0);
  });
});
