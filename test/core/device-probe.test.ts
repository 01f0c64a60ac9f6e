import assert from 'node:assert/strict';
import {mkdtemp, rm, writeFile} from 'node:fs/promises';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {test} from 'node:test';
import {deviceAvailability, openSession, probeDevices} from '../../source/core/runtime/onnx.js';
import {identityGraph} from '../../source/core/runtime/probe-graph.js';

test('the probe graph is a valid model: it opens on the CPU and returns its input', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'vc-probe-'));
  try {
    const path = join(dir, 'identity.onnx');
    await writeFile(path, identityGraph());
    const session = await openSession(path);
    const out = await session.run({x: {type: 'float32', data: Float32Array.of(3), dims: [1]}});
    assert.deepEqual([...out.y!.data], [3]);
    await session.release();
  } finally {
    await rm(dir, {recursive: true, force: true});
  }
});

test('devices offered are those that start a session; the rest say why', async () => {
  const probed = await probeDevices();
  assert.deepEqual(
    probed.map((entry) => entry.device),
    deviceAvailability().map((entry) => entry.device),
  );
  assert.equal(probed.find((entry) => entry.device === 'cpu')?.available, true);
  for (const entry of probed)
    if (!entry.available) assert.ok(entry.reason && entry.reason.length > 10, entry.device);
  // Built in but unable to start (e.g. WebGPU with no adapter on a headless host): no longer offered.
  for (const entry of probed.filter((candidate) => candidate.available && candidate.device !== 'cpu')) {
    const dir = await mkdtemp(join(tmpdir(), 'vc-probe-'));
    await writeFile(join(dir, 'identity.onnx'), identityGraph());
    const session = await openSession(join(dir, 'identity.onnx'), {device: entry.device});
    await session.release();
    await rm(dir, {recursive: true, force: true});
  }
});
