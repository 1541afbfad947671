// Contract: the JSON paperpulse serves for the Hugging Face papers API carries every field the official
// client reads, with the types and nesting of the real response (../shared/fixtures/hf-papers-api).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { hfDailyItem, hfPaperInfo } from '../../src/api/hf-shape.ts';
import type { Paper } from '../../src/papers/paper.ts';
import { record } from '../helpers/records.ts';
import { sharedPath, skipWithoutShared } from '../helpers/shared.ts';

function paper(overrides: Partial<Paper> = {}): Paper {
  return {
    ...record({ id: '2507.00042v2', githubRepo: 'https://github.com/example/repo', organization: 'Example Lab' }),
    authorKeys: [], primaryCategory: 'cs.CL', upvotes: 7, numComments: 2, trendingScore: 1,
    createdAt: '2025-07-02T00:00:00.000Z', modifiedAt: '2025-07-02T00:00:00.000Z',
    ...overrides,
  };
}

const typeOf = (v: unknown) => (Array.isArray(v) ? 'array' : v === null ? 'null' : typeof v);

test('a daily item has the nesting and types of the real response', { skip: skipWithoutShared }, () => {
  const real = JSON.parse(readFileSync(sharedPath('fixtures/hf-papers-api/daily_papers_2024-10-25_excerpt.json'), 'utf8'))[0];
  const ours = hfDailyItem(paper()) as unknown as Record<string, unknown>;
  for (const key of ['publishedAt', 'title', 'numComments', 'submittedBy', 'thumbnail']) {
    assert.equal(typeOf(ours[key]), typeOf(real[key]), `top-level ${key}`);
  }
  for (const key of ['id', 'authors', 'publishedAt', 'title', 'summary', 'upvotes', 'discussionId']) {
    assert.equal(typeOf((ours.paper as Record<string, unknown>)[key]), typeOf(real.paper[key]), `paper.${key}`);
  }
  const realAuthor = real.paper.authors[1];
  const ourAuthor = (ours.paper as { authors: Record<string, unknown>[] }).authors[0];
  for (const key of ['_id', 'name', 'hidden']) assert.equal(typeOf(ourAuthor[key]), typeOf(realAuthor[key]), `author.${key}`);
  for (const key of ['avatarUrl', 'fullname', 'type', 'isPro']) {
    assert.equal(typeOf((ours.submittedBy as Record<string, unknown>)[key]), typeOf(real.submittedBy[key]), `submittedBy.${key}`);
  }
});

test('what the client reads only at the top level is at the top level', () => {
  const item = hfDailyItem(paper());
  assert.equal(item.title, 'A Study of Things');
  assert.equal(item.githubRepo, 'https://github.com/example/repo');
  assert.equal(item.paper.githubRepo, 'https://github.com/example/repo', 'and inside paper for other clients');
  assert.equal(item.organization?.fullname, 'Example Lab');
  assert.equal(item.numComments, 2);
  assert.equal(item.submittedBy.user, 'arxiv', 'the client reads the username from `user`');
  assert.equal(item.paper.upvotes, 7);
  assert.deepEqual(item.paper.authors.map((a) => a.name), ['Ada Lovelace', 'Alan Turing']);
  assert.equal(item.publishedAt, '2025-07-02T00:00:00.000Z', 'top-level publishedAt is the time it went on the daily list');
});

test('absent optional fields are omitted, not null', () => {
  const item = hfDailyItem(paper({ githubRepo: null, organization: null, projectPage: null }));
  assert.ok(!('githubRepo' in item));
  assert.ok(!('organization' in item.paper));
});

test('GET /api/papers/{id} is one flat object with the arXiv publication time', () => {
  const info = hfPaperInfo(paper({ publishedAt: '2025-06-30T17:00:00.000Z' }));
  assert.equal(info.id, '2507.00042');
  assert.equal(info.title, 'A Study of Things');
  assert.equal(info.publishedAt, '2025-06-30T17:00:00.000Z');
  assert.equal(info.submittedOnDailyAt, '2025-07-02T00:00:00.000Z');
  assert.deepEqual(info.linkedModels, []);
  assert.equal(info.numComments, 2);
});
