/**
 * The real commands end to end: `cluster submit` of a URL list served by a local image server, two `worker`
 * processes (tiny-clip), `cluster status --json`: every shard's images land, byte for byte, in its own folder, a
 * missing image is a failure of its shard listed in the job's result, and the result holds no file list.
 */
import assert from 'node:assert/strict';
import {mkdtemp, readFile, rm, writeFile} from 'node:fs/promises';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {after, before, test} from 'node:test';
import {loadIndex} from '../../source/core/download/download-index.js';
import {tinyClip} from '../embed/helpers.js';
import {type ImageServer, startImageServer} from '../helpers/image-server.js';
import {type RedisServer, startRedisOrSkip} from '../helpers/redis-server.js';
import {startCli} from './worker-process.js';

let server: ImageServer;
let redis: RedisServer | undefined;
let work: string;
before(async () => {
  server = await startImageServer({count: 24});
  work = await mkdtemp(join(tmpdir(), 'vc-cluster-download-'));
});
after(async () => {
  await server.close();
  await redis?.close();
  await rm(work, {recursive: true, force: true});
});

test('submit a URL list as 12 shards; two workers download every shard into its own folder', {
  timeout: 300_000,
}, async (t) => {
  redis = await startRedisOrSkip(t);
  if (!redis) return;
  const urls = [...server.urls];
  urls[5] = `${server.origin}/image/99.jpg`;
  const list = join(work, 'list.txt');
  await writeFile(list, `${urls.join('\n')}\n`);
  const images = join(work, 'images');
  const common = ['--redis', redis.url, '--queue', 'download'];
  const submit = [
    ...common,
    '--provider',
    'urls',
    '--urls',
    list,
    '--shard-size',
    '2',
    '--images',
    images,
    '--model',
    tinyClip,
  ];
  const first = startCli(['cluster', 'submit', ...submit, '--embeddings', join(work, 'embeddings')]);
  assert.equal(await first.exited, 0, first.output());
  assert.match(first.output(), /12 shard\(s\), 24 images/);
  assert.match(first.output(), /added 12 job\(s\)/);
  assert.match(first.output(), /visual-cortex worker --redis redis:\/\/127\.0\.0\.1:\d+ --queue download/);

  const workers = [0, 1].map(() =>
    startCli(['worker', ...common, '--concurrency', '2', '--until-empty', '--threads', '1']),
  );
  const codes = await Promise.all(workers.map((child) => child.exited));
  assert.deepEqual(codes, [0, 0], workers.map((child) => child.output()).join('\n'));
  const log = workers.map((child) => child.output()).join('\n');
  assert.equal(log.match(/shard \d{8}: done/g)?.length, 12, log);

  const again = startCli(['cluster', 'submit', ...submit, '--embeddings', join(work, 'embeddings')]);
  assert.equal(await again.exited, 0, again.output());
  assert.match(again.output(), /added 0 job\(s\); 12 were queued already/);

  const status = startCli(['cluster', 'status', ...common, '--json']);
  assert.equal(await status.exited, 0, status.output());
  const report = JSON.parse(status.output());
  assert.deepEqual(report.counts, {waiting: 0, active: 0, completed: 12, failed: 0, delayed: 0});

  for (let shard = 0; shard < 12; shard++) {
    const id = String(shard).padStart(8, '0');
    const folder = join(images, 'shards', id);
    const byUrl = new Map((await loadIndex(folder)).map((entry) => [entry.url, entry.name]));
    for (const index of [2 * shard, 2 * shard + 1]) {
      const name = byUrl.get(urls[index]!);
      if (index === 5) {
        assert.equal(name, undefined);
        continue;
      }
      assert.ok(name, `image ${index} in shard ${id}`);
      assert.deepEqual(await readFile(join(folder, name)), Buffer.from(server.images[index]!));
    }
    const result = JSON.parse(redis.cli('HGET', `bull:download:${id}`, 'returnvalue'));
    assert.equal(result.rows, shard === 2 ? 1 : 2);
    assert.equal(result.files, undefined, 'file lists stay out of Redis');
    assert.equal(result.committed, true);
    if (shard === 2) assert.match(result.failures[0].reason, /^not-found/);
  }
});
