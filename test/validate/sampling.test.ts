import assert from 'node:assert/strict';
import {describe, test} from 'node:test';
import {sampleIndices, seededRandom} from '../../source/core/validate/sampling.js';

describe('spot-check sampling', () => {
  test('a seed gives the same sequence; another seed a different one', () => {
    const first = Array.from({length: 5}, seededRandom(42));
    assert.deepEqual(Array.from({length: 5}, seededRandom(42)), first);
    assert.notDeepEqual(Array.from({length: 5}, seededRandom(43)), first);
    assert.ok(first.every((value) => value >= 0 && value < 1));
  });

  test('indices are distinct, in range, and capped at the population', () => {
    const random = seededRandom(9);
    for (const [size, count] of [
      [10, 3],
      [10, 10],
      [4, 9],
      [1000, 50],
    ] as const) {
      const picked = sampleIndices(size, count, random);
      assert.equal(picked.length, Math.min(size, count));
      assert.equal(new Set(picked).size, picked.length);
      assert.ok(picked.every((index) => Number.isInteger(index) && index >= 0 && index < size));
    }
    assert.deepEqual(sampleIndices(5, 0, random), []);
  });

  test('every index can be chosen (no off-by-one at the ends)', () => {
    const random = seededRandom(1);
    const seen = new Set<number>();
    for (let round = 0; round < 200; round++)
      for (const index of sampleIndices(6, 1, random)) seen.add(index);
    assert.deepEqual([...seen].sort(), [0, 1, 2, 3, 4, 5]);
  });
});
