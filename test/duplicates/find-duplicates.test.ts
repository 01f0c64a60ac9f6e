import assert from 'node:assert/strict';
import {test} from 'node:test';
import {
  forEachExactClipPair,
  hnswNeighbours,
  type NeighbourFn,
} from '../../source/core/duplicates/clip-pairs.js';
import {
  type DuplicateEvent,
  type DuplicateGroup,
  findDuplicates,
} from '../../source/core/duplicates/find-duplicates.js';
import {phashColumn} from '../../source/core/duplicates/phash-column.js';
import {exactSearch} from '../../source/core/search/exact-search.js';
import {buildHnswIndex} from '../../source/core/search/hnsw-index.js';
import {plantedHashes, plantedMatrix} from './planted.js';

const shas = (rows: number) => Array.from({length: rows}, (_, row) => `sha-${row}`);
const groupRows = (groups: DuplicateGroup[]) =>
  groups.map((group) => group.members.map((member) => member.row));

// 600 random 512-d unit vectors; planted copies (cosine ~0.975) of rows 10, 20, 30 and two of row 40.
const PLANTED: [number, number][] = [
  [10, 500],
  [20, 510],
  [30, 520],
  [40, 530],
  [40, 531],
];
const planted = plantedMatrix(600, 512, PLANTED);
const PLANTED_GROUPS = [
  [40, 530, 531],
  [10, 500],
  [20, 510],
  [30, 520],
];

test('planted near-duplicate embeddings are grouped and the rest left alone', async () => {
  const events: DuplicateEvent[] = [];
  const report = await findDuplicates({
    sha256: shas(600),
    embeddings: planted,
    method: 'clip',
    onEvent: (event) => events.push(event),
  });
  assert.deepEqual(groupRows(report.groups), PLANTED_GROUPS);
  assert.equal(report.clipSearch, 'all-pairs');
  assert.equal(report.duplicateRows, 5);
  assert.deepEqual(report.joins, {exact: 0, phash: 0, clip: 5});
  assert.equal(report.interrupted, false);
  const [first] = report.groups;
  assert.deepEqual(
    first!.members.map((member) => member.kind),
    ['representative', 'clip', 'clip'],
  );
  for (const member of first!.members.slice(1))
    assert.ok(member.clipScore! > 0.96 && member.clipScore! < 0.99);
  assert.equal(first!.members[0]!.clipScore!.toFixed(5), '1.00000');
  assert.deepEqual(
    events.flatMap((event) =>
      event.type === 'stage' ? [event.stage] : event.type === 'progress' ? [] : [event.type],
    ),
    ['start', 'exact', 'clip', 'done'],
  );
  assert.deepEqual(events.at(-2), {type: 'progress', stage: 'clip', fraction: 1});
});

test('an approximate index and exact search as neighbour functions give the same groups', async () => {
  const exact: NeighbourFn = (row, k) =>
    exactSearch(planted, planted.data.subarray(row * 512, (row + 1) * 512), k);
  const hnsw = await hnswNeighbours(planted, {});
  for (const neighbours of [exact, hnsw]) {
    const report = await findDuplicates({sha256: shas(600), embeddings: planted, neighbours, method: 'clip'});
    assert.equal(report.clipSearch, 'given');
    assert.deepEqual(groupRows(report.groups), PLANTED_GROUPS);
  }
});

test('joins are transitive: a~b and b~c make one group even when a and c are far apart', async () => {
  // Unit vectors at 0, θ and 2θ in one plane with cos θ = 0.96: cos(a, c) = 2 * 0.96² - 1 ≈ 0.84.
  const theta = Math.acos(0.96);
  const dims = 8;
  const data = new Float32Array(5 * dims);
  [0, theta, 2 * theta].forEach((angle, row) => {
    data[row * dims] = Math.cos(angle);
    data[row * dims + 1] = Math.sin(angle);
  });
  data[3 * dims + 2] = 1;
  data[4 * dims + 3] = 1;
  const report = await findDuplicates({sha256: shas(5), embeddings: {data, rows: 5, dims}, method: 'clip'});
  assert.deepEqual(groupRows(report.groups), [[0, 1, 2]]);
  const [, b, c] = report.groups[0]!.members;
  assert.deepEqual([b!.kind, b!.transitive], ['clip', false]);
  assert.deepEqual([c!.kind, c!.transitive], ['clip', true]);
  assert.ok(Math.abs(c!.clipScore! - 0.8432) < 1e-3);
});

test('rows with the same SHA-256 are exact duplicates whatever the method', async () => {
  const sha256 = ['x', 'y', 'x', 'z', '', '', 'y', 'x'];
  const {hi, lo} = plantedHashes(8, []);
  const report = await findDuplicates({
    sha256,
    phash: {hi, lo, present: new Uint8Array(8).fill(1)},
    method: 'phash',
  });
  assert.deepEqual(groupRows(report.groups), [
    [0, 2, 7],
    [1, 6],
  ]);
  assert.ok(
    report.groups.flatMap((group) => group.members.slice(1)).every((member) => member.kind === 'exact'),
  );
  assert.equal(report.joins.exact, 3);
});

test('perceptual hashes within the threshold are grouped; both methods chain across kinds', async () => {
  const {hi, lo} = plantedHashes(400, [
    [1, 2, 6],
    [3, 4, 10],
    [5, 6, 12],
  ]);
  const phash = {hi, lo, present: new Uint8Array(400).fill(1)};
  const report = await findDuplicates({sha256: shas(400), phash, method: 'phash'});
  assert.deepEqual(groupRows(report.groups), [
    [1, 2],
    [3, 4],
  ]);
  assert.deepEqual(
    report.groups.map((group) => group.members[1]!.phashDistance),
    [6, 10],
  );
  const strict = await findDuplicates({sha256: shas(400), phash, method: 'phash', phashThreshold: 6});
  assert.deepEqual(groupRows(strict.groups), [[1, 2]]);

  // Row 2 is a hash copy of 1, and 7 is an embedding copy of 2: with both, 1, 2 and 7 are one group.
  const embeddings = plantedMatrix(400, 64, [[2, 7]], 0.005);
  const both = await findDuplicates({sha256: shas(400), phash, embeddings, method: 'both'});
  assert.deepEqual(groupRows(both.groups), [
    [1, 2, 7],
    [3, 4],
  ]);
  const members = both.groups[0]!.members;
  assert.deepEqual(
    members.map((member) => [member.kind, member.transitive]),
    [
      ['representative', false],
      ['phash', false],
      ['clip', true],
    ],
  );
});

test('the output is deterministic: largest group first, then by first row; members by row', async () => {
  const sha256 = shas(600);
  sha256[599] = sha256[0]!; // one exact pair: [0, 599]
  const run = () => findDuplicates({sha256, embeddings: planted, method: 'clip'});
  const [first, second] = [await run(), await run()];
  assert.deepEqual(first.groups, second.groups);
  assert.deepEqual(groupRows(first.groups), [[40, 530, 531], [0, 599], ...PLANTED_GROUPS.slice(1)]);
});

test('a stop is graceful: the report says interrupted, whether scoring all pairs or building the index', async () => {
  for (const [rows, dims, stage, search] of [
    [4000, 128, 'clip', 'all-pairs'],
    [6000, 16, 'clip-index', 'hnsw'],
  ] as const) {
    const controller = new AbortController();
    const report = await findDuplicates({
      sha256: shas(rows),
      embeddings: plantedMatrix(rows, dims, [[1, 2]], 0.001),
      method: 'clip',
      signal: controller.signal,
      onEvent: (event) => {
        if (event.type === 'progress' && event.stage === stage) controller.abort();
      },
    });
    assert.equal(report.interrupted, true, stage);
    assert.equal(report.clipSearch, search);
  }
});

test('scoring all pairs finds exactly the pairs a naive double loop finds', async () => {
  const matrix = plantedMatrix(203, 16, []);
  const naive: string[] = [];
  for (let a = 0; a < 203; a++)
    for (let b = a + 1; b < 203; b++) {
      let dot = 0;
      for (let i = 0; i < 16; i++) dot += matrix.data[a * 16 + i]! * matrix.data[b * 16 + i]!;
      if (dot >= 0.5) naive.push(`${a}-${b}`);
    }
  const found: string[] = [];
  await forEachExactClipPair(matrix, (a, b) => found.push(`${a}-${b}`), {threshold: 0.5});
  assert.ok(naive.length > 100);
  assert.deepEqual(found.sort(), naive.sort());
});

test('missing inputs and bad thresholds are user errors', async () => {
  const isUserError = (pattern: RegExp) => (error: Error) =>
    error.name === 'UserError' && pattern.test(error.message);
  await assert.rejects(
    findDuplicates({sha256: shas(2), method: 'phash'}),
    isUserError(/no perceptual hashes/),
  );
  await assert.rejects(findDuplicates({sha256: shas(2), method: 'clip'}), isUserError(/no embeddings/));
  const phash = phashColumn([1n, 2n]);
  await assert.rejects(
    findDuplicates({sha256: shas(2), phash, method: 'phash', phashThreshold: 40}),
    isUserError(/0-32 bits/),
  );
  await assert.rejects(
    findDuplicates({sha256: shas(2), phash, method: 'phash', clipThreshold: 1.5}),
    isUserError(/cosine/),
  );
  await assert.rejects(findDuplicates({sha256: shas(3), phash, method: 'phash'}), RangeError);
});

test('an HNSW search that misses the row itself is retried wider', async () => {
  const matrix = plantedMatrix(3000, 64, []);
  const settings = {m: 4, efConstruction: 16, efSearch: 2, seed: 9};
  const index = await buildHnswIndex(matrix, {settings});
  const neighbours = await hnswNeighbours(matrix, {settings});
  const selfFound = (search: (row: number) => {row: number}[]) => {
    let found = 0;
    for (let row = 0; row < 3000; row++) if (search(row).some((hit) => hit.row === row)) found++;
    return found;
  };
  const plain = selfFound((row) => index.search(matrix.data.subarray(row * 64, (row + 1) * 64), 5));
  const retried = selfFound((row) => neighbours(row, 5));
  assert.ok(plain < 2900, `plain searches found themselves ${plain} times`);
  assert.ok(retried > plain * 1.5, `retried: ${retried}, plain: ${plain}`);
});
