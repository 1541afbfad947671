// `paperpulse vote` and `paperpulse trending recompute`, run as a user runs them: child processes on a
// data directory (embedded database) and, when TEST_DATABASE_URL is set, on a fresh server database.
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { runCli } from '../helpers/cli.ts';
import { createServerDatabase } from '../helpers/db.ts';
import { jsonlLine } from '../helpers/records.ts';

const tmp = () => mkdtempSync(path.join(os.tmpdir(), 'paperpulse-vote-'));

const drops: (() => Promise<void>)[] = [];
after(async () => {
  for (const d of drops) await d();
});

const targets = [
  { name: 'pglite', skip: false as string | false, env: async () => ({ PAPERPULSE_DATA_DIR: tmp() }) },
  {
    name: 'postgres',
    skip: process.env.TEST_DATABASE_URL ? false : 'skipped: TEST_DATABASE_URL is not set (no PostgreSQL server)',
    env: async () => {
      const created = await createServerDatabase(process.env.TEST_DATABASE_URL!);
      drops.push(created.drop);
      return { PAPERPULSE_DATA_DIR: tmp(), DATABASE_URL: created.url };
    },
  },
];

for (const target of targets) {
  describe(`paperpulse vote and trending recompute [${target.name}]`, { skip: target.skip }, () => {
    let env: Record<string, string>;
    const PAPER = '2507.10000';

    const voteJson = async (...args: string[]) => {
      const res = await runCli(['vote', ...args, '--json'], { env });
      assert.equal(res.code, 0, res.stderr);
      return JSON.parse(res.stdout);
    };

    test('setup: import two papers', async () => {
      env = await target.env();
      const file = path.join(tmp(), 'papers.jsonl');
      writeFileSync(file, [jsonlLine(0), jsonlLine(1)].join('\n') + '\n');
      const res = await runCli(['import', file, '--json'], { env });
      assert.equal(res.code, 0, res.stderr);
      assert.equal(JSON.parse(res.stdout).inserted, 2);
    });

    test('voting twice counts one upvote; the user is created on first use', async () => {
      const first = await voteJson('--user', 'alice', '--paper', PAPER);
      assert.deepEqual(
        { user: first.user, userCreated: first.userCreated, changed: first.changed, upvotes: first.upvotes },
        { user: 'alice', userCreated: true, changed: true, upvotes: 1 },
      );
      const second = await voteJson('--user', 'alice', '--paper', PAPER);
      assert.deepEqual(
        { userCreated: second.userCreated, changed: second.changed, upvotes: second.upvotes },
        { userCreated: false, changed: false, upvotes: 1 },
      );
      assert.equal(second.trendingScore, first.trendingScore);

      // An abs URL with a version names the same paper; a capitalised name is the same username.
      const bob = await runCli(['vote', '--user', 'Bob', '--paper', `https://arxiv.org/abs/${PAPER}v2`], { env });
      assert.equal(bob.code, 0, bob.stderr);
      assert.match(bob.stdout, /^created user bob\nbob upvoted 2507\.10000 \(now 2 upvotes, trending score \d+\.\d{4}\)\n$/);
    });

    test('--undo withdraws the vote once', async () => {
      const undo = await voteJson('--user', 'alice', '--paper', PAPER, '--undo');
      assert.deepEqual({ voted: undo.voted, changed: undo.changed, upvotes: undo.upvotes }, { voted: false, changed: true, upvotes: 1 });
      const again = await runCli(['vote', '--user', 'alice', '--paper', PAPER, '--undo'], { env });
      assert.equal(again.code, 0, again.stderr);
      assert.match(again.stdout, /alice had not upvoted 2507\.10000; nothing changed \(1 upvote,/);
      const stranger = await voteJson('--user', 'carol', '--paper', PAPER, '--undo');
      assert.deepEqual({ userCreated: stranger.userCreated, changed: stranger.changed, upvotes: stranger.upvotes }, {
        userCreated: false, changed: false, upvotes: 1,
      });
    });

    test('an unknown paper is refused with exit status 1 and writes nothing', async () => {
      const res = await runCli(['vote', '--user', 'dave', '--paper', '2507.99999'], { env });
      assert.equal(res.code, 1);
      assert.match(res.stderr, /paperpulse: paper 2507\.99999 is not in the database; import it or fetch it first \(paperpulse ingest arxiv --ids 2507\.99999\)/);
      assert.equal(res.stdout, '');
      const dave = await voteJson('--user', 'dave', '--paper', '2507.10001');
      assert.equal(dave.userCreated, true, 'the refused vote did not create the user');
    });

    test('malformed ids and usernames are usage errors (exit status 2)', async () => {
      const badId = await runCli(['vote', '--user', 'alice', '--paper', 'not-an-id'], { env });
      assert.equal(badId.code, 2);
      assert.match(badId.stderr, /--paper "not-an-id" is not an arXiv id/);
      const badUser = await runCli(['vote', '--user', 'a b', '--paper', PAPER], { env });
      assert.equal(badUser.code, 2);
      assert.match(badUser.stderr, /--user "a b" is not a valid username/);
      const missing = await runCli(['vote', '--user', 'alice'], { env });
      assert.equal(missing.code, 2);
      assert.match(missing.stderr, /--paper/);
    });

    test('trending recompute prints a summary; a second run changes nothing', async () => {
      const first = await runCli(['trending', 'recompute', '--json'], { env });
      assert.equal(first.code, 0, first.stderr);
      const summary = JSON.parse(first.stdout);
      assert.deepEqual(Object.keys(summary).sort(), ['batches', 'changed', 'papers', 'recounted']);
      assert.equal(summary.papers, 2);
      assert.equal(summary.batches, 1);
      assert.equal(summary.recounted, 0);
      const second = await runCli(['trending', 'recompute', '--json', '--recount-votes', '--batch-size', '1'], { env });
      assert.equal(second.code, 0, second.stderr);
      assert.deepEqual(JSON.parse(second.stdout), { papers: 2, changed: 0, recounted: 0, batches: 2 });
      const human = await runCli(['trending', 'recompute'], { env });
      assert.equal(human.code, 0, human.stderr);
      assert.match(human.stdout, /^recomputed the trending scores of 2 papers in 1 batch \([\d.]+ s\): 0 changed\n$/);
      const bad = await runCli(['trending', 'recompute', '--batch-size', '0'], { env });
      assert.equal(bad.code, 2);
      assert.match(bad.stderr, /--batch-size must be a whole number/);
    });
  });
}
