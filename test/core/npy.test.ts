import assert from 'node:assert/strict';
import {execFileSync} from 'node:child_process';
import {mkdtemp, writeFile} from 'node:fs/promises';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {test} from 'node:test';
import {
  encodeFloat32Matrix,
  encodeUnicodeArray,
  parseNpy,
  readFloat32Matrix,
  readUnicodeArray,
} from '../../source/core/npy.js';

test('float32 matrices and unicode arrays round-trip through numpy with allow_pickle=False', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'vc-npy-'));
  const matrix = Float32Array.from([1, 2.5, -3, 0.125, 5, 6]);
  const names = ['a.jpg', 'sub/dir/ünïcode 🖼.png', ''];
  await writeFile(join(dir, 'm.npy'), encodeFloat32Matrix(matrix, 2, 3));
  await writeFile(join(dir, 'n.npy'), encodeUnicodeArray(names));
  const script = `
import json, numpy as np, sys
m = np.load(sys.argv[1] + '/m.npy', allow_pickle=False)
n = np.load(sys.argv[1] + '/n.npy', allow_pickle=False)
print(json.dumps({'dtype': str(m.dtype), 'shape': m.shape, 'values': m.tolist(), 'ndtype': n.dtype.str, 'names': n.tolist()}))
`;
  const out = JSON.parse(execFileSync('python3', ['-c', script, dir], {encoding: 'utf8'}));
  assert.equal(out.dtype, 'float32');
  assert.deepEqual(out.shape, [2, 3]);
  assert.deepEqual(out.values, [
    [1, 2.5, -3],
    [0.125, 5, 6],
  ]);
  assert.equal(out.ndtype, '<U21');
  assert.deepEqual(out.names, names);
});

test('our reader parses what we write and numpy writes', () => {
  const bytes = encodeFloat32Matrix(Float32Array.from([1, 2, 3, 4]), 2, 2);
  assert.equal((10 + new DataView(bytes.buffer).getUint16(8, true)) % 64, 0, 'header is 64-byte aligned');
  const parsed = readFloat32Matrix(bytes);
  assert.deepEqual([parsed.rows, parsed.columns, ...parsed.data], [2, 2, 1, 2, 3, 4]);
  assert.deepEqual(readUnicodeArray(encodeUnicodeArray(['x', 'yz'])), ['x', 'yz']);
  assert.throws(() => parseNpy(bytes.subarray(0, bytes.length - 3)), /payload/);
  assert.throws(() => parseNpy(new Uint8Array([1, 2, 3])), /magic/);
});
