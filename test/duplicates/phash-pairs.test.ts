import assert from 'node:assert/strict';
import {test} from 'node:test';
import {phashAt, phashColumn} from '../../source/core/duplicates/phash-column.js';
import {forEachPhashPair, planChunks} from '../../source/core/duplicates/phash-pairs.js';
import {popcount32} from '../../source/core/image/phash.js';
import {plantedHashes} from './planted.js';

function brutePairs(hi: Uint32Array, lo: Uint32Array, present: Uint8Array, threshold: number): string[] {
  const pairs: string[] = [];
  for (let a = 0; a < hi.length; a++)
    for (let b = a + 1; b < hi.length; b++) {
      if (!present[a] || !present[b]) continue;
      const distance = popcount32(hi[a]! ^ hi[b]!) + popcount32(lo[a]! ^ lo[b]!);
      if (distance <= threshold) pairs.push(`${a}-${b}:${distance}`);
    }
  return pairs.sort();
}

test('multi-index hashing finds exactly the pairs brute force finds, each once', async () => {
  const rows = 3000;
  const copies: [number, number, number][] = [];
  // Copies at every distance 0-14 (also chains: row 2k+1 copies 2k, row 2k+2 copies 2k+1).
  for (let k = 0; k < 400; k++) copies.push([2 * k, 2 * k + 1 + (k % 3 === 0 ? 1 : 0), k % 15]);
  const {hi, lo} = plantedHashes(rows, copies);
  const present = new Uint8Array(rows).fill(1);
  for (let row = 5; row < rows; row += 97) present[row] = 0; // rows without a hash never pair
  for (const threshold of [0, 1, 3, 8, 10, 12]) {
    const found: string[] = [];
    const outcome = await forEachPhashPair(
      {hi, lo, present},
      (a, b, distance) => {
        assert.ok(a < b);
        found.push(`${a}-${b}:${distance}`);
      },
      {threshold},
    );
    assert.equal(outcome.interrupted, false);
    const expected = brutePairs(hi, lo, present, threshold);
    assert.ok(expected.length > 20, `threshold ${threshold}: ${expected.length} pairs planted`);
    assert.deepEqual(
      found.sort(),
      expected,
      `threshold ${threshold} with chunks ${JSON.stringify(outcome.chunks)}`,
    );
  }
});

test('chunk plans keep the pigeonhole guarantee and widen the chunks as rows grow', () => {
  for (const rows of [10, 1000, 100_000, 1_000_000])
    for (const threshold of [0, 4, 10, 16]) {
      const chunks = planChunks(rows, threshold);
      assert.equal(
        chunks.reduce((sum, chunk) => sum + chunk.bits, 0),
        64,
      );
      assert.ok(chunks.reduce((sum, chunk) => sum + chunk.radius + 1, 0) > threshold);
      assert.ok(chunks.every((chunk) => chunk.bits <= 22 && chunk.radius >= 0));
    }
  assert.ok(planChunks(1_000_000, 10)[0]!.bits > planChunks(10_000, 10)[0]!.bits);
});

test('an aborted search stops and says so', async () => {
  const {hi, lo} = plantedHashes(50_000, []);
  const controller = new AbortController();
  let visits = 0;
  const outcome = await forEachPhashPair({hi, lo, present: new Uint8Array(50_000).fill(1)}, () => visits++, {
    threshold: 12,
    signal: controller.signal,
    onProgress: () => controller.abort(),
  });
  assert.equal(outcome.interrupted, true);
});

test('a hash column from bigints or words, with gaps', () => {
  const column = phashColumn([0x0123456789abcdefn, null, [0xffffffff, 1], undefined]);
  assert.deepEqual([...column.present], [1, 0, 1, 0]);
  assert.equal(phashAt(column, 0), 0x0123456789abcdefn);
  assert.equal(phashAt(column, 1), undefined);
  assert.equal(phashAt(column, 2), 0xffffffff00000001n);
});
