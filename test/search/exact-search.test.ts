import assert from 'node:assert/strict';
import {test} from 'node:test';
import {exactSearch} from '../../source/core/search/exact-search.js';
import {seededRandom} from '../../source/core/search/recall.js';
import {TopK} from '../../source/core/search/top-k.js';

function randomMatrix(rows: number, dims: number, seed: number) {
  const random = seededRandom(seed);
  return {data: Float32Array.from({length: rows * dims}, () => random() - 0.5), rows, dims};
}

function bruteForce(
  matrix: {data: Float32Array; rows: number; dims: number},
  query: Float32Array,
  k: number,
) {
  const all = [];
  for (let row = 0; row < matrix.rows; row++) {
    let score = 0;
    for (let i = 0; i < matrix.dims; i++) score += matrix.data[row * matrix.dims + i]! * query[i]!;
    all.push({row, score});
  }
  return all.sort((a, b) => b.score - a.score || a.row - b.row).slice(0, k);
}

test('exact search equals a brute-force sort, across blocks, odd widths and any k', () => {
  // 2,500 rows spans three 1,024-row blocks; 37 columns exercises the unrolled loop's tail.
  for (const [rows, dims] of [
    [2500, 37],
    [3, 512],
  ] as const) {
    const matrix = randomMatrix(rows, dims, rows);
    const random = seededRandom(99);
    for (let trial = 0; trial < 5; trial++) {
      const query = Float32Array.from({length: dims}, () => random() - 0.5);
      for (const k of [1, 10, 100, rows + 5]) {
        const expected = bruteForce(matrix, query, k);
        const actual = exactSearch(matrix, query, k);
        assert.deepEqual(
          actual.map((hit) => hit.row),
          expected.map((hit) => hit.row),
        );
        actual.forEach((hit, index) => {
          assert.ok(Math.abs(hit.score - expected[index]!.score) < 1e-9);
        });
      }
    }
  }
});

test('exclusions, ties (lower row first) and a wrong-width query', () => {
  const matrix = {data: Float32Array.from([1, 0, 1, 0, 0, 1, 1, 0]), rows: 4, dims: 2};
  const query = Float32Array.from([1, 0]);
  assert.deepEqual(
    exactSearch(matrix, query, 3).map((hit) => [hit.row, hit.score]),
    [
      [0, 1],
      [1, 1],
      [3, 1],
    ],
  );
  assert.deepEqual(
    exactSearch(matrix, query, 2, {exclude: new Set([1])}).map((hit) => hit.row),
    [0, 3],
  );
  assert.throws(() => exactSearch(matrix, Float32Array.from([1]), 1), RangeError);
});

test('the bounded heap keeps the k best of a stream', () => {
  const top = new TopK(3);
  for (const [row, score] of [
    [0, 0.1],
    [1, 0.9],
    [2, Number.NaN],
    [3, 0.5],
    [4, 0.7],
    [5, -1],
  ] as const)
    top.push(row, score);
  assert.deepEqual(top.sorted(), [
    {row: 1, score: 0.9},
    {row: 4, score: 0.7},
    {row: 3, score: 0.5},
  ]);
  assert.deepEqual(new TopK(0).sorted(), []);
});
