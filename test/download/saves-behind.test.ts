import assert from 'node:assert/strict';
import {mkdtemp, rm, writeFile} from 'node:fs/promises';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {test} from 'node:test';
import {downloadImages} from '../../source/core/download/download-images.js';
import {SavesBehindWorkers} from '../../source/core/download/saves-behind.js';
import {startImageServer} from '../helpers/image-server.js';
import {checkFolder} from './check-folder.js';

function deferred(): {promise: Promise<void>; resolve: () => void} {
  let resolve = () => {};
  const promise = new Promise<void>((done) => {
    resolve = done;
  });
  return {promise, resolve};
}

test('a worker waits only for its own previous save; drain waits for every save', async () => {
  const saves = new SavesBehindWorkers();
  const first = deferred();
  const other = deferred();
  saves.start(0, first.promise);
  saves.start(1, other.promise);
  let ready = false;
  const waiting = saves.ready(0).then(() => {
    ready = true;
  });
  await new Promise((resolve) => setImmediate(resolve));
  assert.equal(ready, false, 'worker 0 waits while its save runs');
  await saves.ready(2);
  first.resolve();
  await waiting;
  let drained = false;
  const draining = saves.drain().then(() => {
    drained = true;
  });
  await new Promise((resolve) => setImmediate(resolve));
  assert.equal(drained, false, 'drain waits for worker 1');
  other.resolve();
  await draining;
});

test('a worker fetches its next image while the last one is still being saved', async () => {
  const order: string[] = [];
  const server = await startImageServer({
    count: 5,
    plan: (hit) => {
      order.push(`request ${hit.path}`);
      return undefined;
    },
  });
  const work = await mkdtemp(join(tmpdir(), 'vc-saves-behind-'));
  try {
    const urlsFile = join(work, 'urls.txt');
    await writeFile(urlsFile, `${server.urls.join('\n')}\n`);
    const imagesDir = join(work, 'out');
    const report = await downloadImages({
      provider: 'urls',
      urlsFile,
      imagesDir,
      count: 5,
      workers: 1,
      onEvent: (event) => {
        if (event.type === 'kept') order.push(`kept ${new URL(event.url).pathname}`);
      },
    });
    assert.equal(report.kept, 5);
    assert.equal((await checkFolder(imagesDir)).length, 5);
    // Saving takes several thread-pool round trips and an fsync; the next request leaves at once.
    for (let i = 0; i < 4; i++) {
      const kept = order.indexOf(`kept /image/${i}.jpg`);
      const nextRequest = order.indexOf(`request /image/${i + 1}.jpg`);
      assert.ok(kept >= 0 && nextRequest >= 0, order.join(', '));
      assert.ok(
        nextRequest < kept,
        `image ${i + 1} should be requested before image ${i} is saved: ${order.join(', ')}`,
      );
    }
    assert.equal(order.at(-1), 'kept /image/4.jpg', 'the run ends only after the last save');
  } finally {
    await server.close();
    await rm(work, {recursive: true, force: true});
  }
});
