import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { reciprocalRankFusion } from '../../src/search/fuse.ts';

describe('reciprocal rank fusion', () => {
  it('sums 1 / (k + rank) over the lists an item appears in', () => {
    const fused = reciprocalRankFusion([{ items: ['a', 'b', 'c'] }, { items: ['b', 'd'] }]);
    assert.deepEqual(
      fused.map((f) => f.item),
      ['b', 'a', 'd', 'c'],
    );
    const b = fused[0];
    assert.ok(Math.abs(b.score - (1 / 62 + 1 / 61)) < 1e-12);
    assert.deepEqual(b.ranks, [2, 1]);
    assert.deepEqual(fused[2].ranks, [null, 2]);
  });

  it('weights lists: 2:1 lets the keyword list win where the lists disagree', () => {
    const keyword = { items: ['k1', 'k2', 'x'], weight: 2 };
    const semantic = { items: ['s1', 'x', 'k1'], weight: 1 };
    const fused = reciprocalRankFusion([keyword, semantic]).map((f) => f.item);
    assert.equal(fused[0], 'k1');
    assert.ok(fused.indexOf('k2') < fused.indexOf('s1'));
    const equal = reciprocalRankFusion([{ items: keyword.items }, { items: semantic.items }]).map((f) => f.item);
    assert.equal(equal[0], 'k1'); // in both lists
    assert.ok(equal.indexOf('s1') < equal.indexOf('k2')); // tie on score broken by first appearance: k2 came first
  });

  it('a larger k flattens the advantage of the top ranks', () => {
    const lists = [{ items: ['a', 'b'] }, { items: ['c', 'd', 'e', 'f', 'g', 'b'] }];
    const small = reciprocalRankFusion(lists, { k: 1 }).map((f) => f.item);
    const large = reciprocalRankFusion(lists, { k: 1000 }).map((f) => f.item);
    assert.equal(small[0], 'a'); // 1/2 beats 1/3 + 1/7
    assert.equal(large[0], 'b'); // two appearances beat one
  });

  it('breaks ties deterministically, ignores repeats within a list, drops weight-0 lists, honours limit', () => {
    const fused = reciprocalRankFusion([{ items: ['a', 'a', 'b'] }, { items: ['b', 'a'] }]);
    assert.deepEqual(fused[0].ranks, [1, 2]);
    const tie = reciprocalRankFusion([{ items: ['x'] }, { items: ['y'] }]).map((f) => f.item);
    assert.deepEqual(tie, ['x', 'y']);
    const dropped = reciprocalRankFusion([{ items: ['a'], weight: 0 }, { items: ['b'] }]);
    assert.deepEqual(dropped.map((f) => f.item), ['b']);
    assert.equal(reciprocalRankFusion([{ items: ['a', 'b', 'c'] }], { limit: 2 }).length, 2);
    assert.deepEqual(reciprocalRankFusion([]), []);
    assert.throws(() => reciprocalRankFusion([{ items: ['a'], weight: -1 }]), /weight/);
  });

  it('works with numeric ids', () => {
    assert.deepEqual(
      reciprocalRankFusion([{ items: [3, 1] }, { items: [1, 2] }]).map((f) => f.item),
      [1, 3, 2],
    );
  });
});
