import assert from 'node:assert/strict';
import {execFileSync} from 'node:child_process';
import {createHash} from 'node:crypto';
import {mkdtemp, readdir, readFile, rm, writeFile} from 'node:fs/promises';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {after, test} from 'node:test';
import {removeTrackedTempFiles} from '../../source/core/fs/temp-files.js';
import {encodeFloat32Matrix, readFloat32Matrix} from '../../source/core/npy.js';
import {Float32NpyStream} from '../../source/core/npy-stream.js';

const dirs: string[] = [];
async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'vc-npy-stream-'));
  dirs.push(dir);
  return dir;
}
after(async () => {
  for (const dir of dirs) await rm(dir, {recursive: true, force: true});
});

test('rows streamed in batches, with the header reserved for more rows, load in numpy as the same matrix', async () => {
  const dir = await tempDir();
  const path = join(dir, 'image_embeddings.npy');
  const rows = Array.from({length: 2100}, (_, row) => Float32Array.from([row, -row / 3, row * 0.5, 1e-7]));
  // Room for 1,000,000 rows: a longer shape than the 2,100 written, so the real header carries extra padding.
  const stream = await Float32NpyStream.create(path, 4, 1_000_000);
  for (let start = 0; start < 1100; start += 7)
    await stream.append(rows.slice(start, Math.min(start + 7, 1100)));
  await stream.append(rows.slice(1100)); // over 1,024 rows in one call
  assert.equal(stream.rows, 2100);
  assert.deepEqual(
    await readdir(dir).then((names) => names.filter((name) => name === 'image_embeddings.npy')),
    [],
  );
  const fingerprint = await stream.commit(path);

  const bytes = await readFile(path);
  assert.deepEqual(fingerprint, {
    bytes: bytes.length,
    sha256: createHash('sha256').update(bytes).digest('hex'),
  });
  assert.deepEqual(await readdir(dir), ['image_embeddings.npy'], 'no temp file left');
  const whole = new Float32Array(2100 * 4);
  for (const [index, row] of rows.entries()) whole.set(row, index * 4);
  const parsed = readFloat32Matrix(bytes);
  assert.deepEqual([parsed.rows, parsed.columns], [2100, 4]);
  assert.deepEqual(parsed.data, whole);
  // Same payload as the one-buffer encoding; only the header's padding may differ (and stays 64-byte aligned).
  const reference = encodeFloat32Matrix(whole, 2100, 4);
  const headerBytes = 10 + bytes.readUInt16LE(8);
  assert.equal(headerBytes % 64, 0);
  assert.deepEqual(
    bytes.subarray(headerBytes),
    Buffer.from(reference.subarray(10 + reference[8]! + 256 * reference[9]!)),
  );
  const script = `
import json, numpy as np, sys
m = np.load(sys.argv[1], allow_pickle=False)
print(json.dumps({'dtype': str(m.dtype), 'shape': m.shape, 'sum': float(m.astype('float64').sum())}))
`;
  const numpy = JSON.parse(execFileSync('python3', ['-c', script, path], {encoding: 'utf8'}));
  assert.equal(numpy.dtype, 'float32');
  assert.deepEqual(numpy.shape, [2100, 4]);
  const expectedSum = Array.from(whole).reduce((sum, value) => sum + value, 0);
  assert.ok(
    Math.abs(numpy.sum - expectedSum) < 1e-3 * Math.abs(expectedSum),
    `${numpy.sum} vs ${expectedSum}`,
  );
});

test('a row of the wrong width or beyond the reserved count is refused; discard leaves nothing behind', async () => {
  const dir = await tempDir();
  const stream = await Float32NpyStream.create(join(dir, 'e.npy'), 3, 2);
  await assert.rejects(stream.append([Float32Array.of(1, 2)]), /row 0 has 2 values, expected 3/);
  await stream.append([Float32Array.of(1, 2, 3), Float32Array.of(4, 5, 6)]);
  await assert.rejects(stream.append([Float32Array.of(7, 8, 9)]), /more than the 2 rows reserved/);
  await stream.discard();
  assert.deepEqual(await readdir(dir), []);
});

test("a killed run's temp file is removed by the next run into the folder; a live run's is left alone", async () => {
  const dir = await tempDir();
  // pid 2^22 + 1 is above Linux's pid_max ceiling, so no process has it.
  const stale = '.tmp-image_embeddings.npy-stream-4194305-abc';
  const live = `.tmp-image_embeddings.npy-stream-${process.ppid}-abc`;
  await writeFile(join(dir, stale), 'partial rows');
  await writeFile(join(dir, live), 'rows of a run still going');
  const stream = await Float32NpyStream.create(join(dir, 'image_embeddings.npy'), 2, 10);
  const names = await readdir(dir);
  assert.ok(!names.includes(stale), 'stale temp file removed');
  assert.ok(names.includes(live), "a running process's temp file kept");
  await stream.discard();
});

test('a forced exit removes the rows being streamed, not what was committed', async () => {
  const dir = await tempDir();
  const committed = await Float32NpyStream.create(join(dir, 'done.npy'), 2, 10);
  await committed.append([Float32Array.from([1, 2])]);
  await committed.commit(join(dir, 'done.npy'));
  const open = await Float32NpyStream.create(join(dir, 'image_embeddings.npy'), 2, 10);
  await open.append([Float32Array.from([3, 4])]);
  assert.equal((await readdir(dir)).filter((name) => name.startsWith('.tmp-image_embeddings')).length, 1);
  removeTrackedTempFiles();
  assert.deepEqual(
    (await readdir(dir)).filter((name) => name.startsWith('.tmp-image_embeddings')),
    [],
    'the streamed rows are gone',
  );
  assert.ok((await readdir(dir)).includes('done.npy'), 'a committed file stays');
  await open.discard();
});
