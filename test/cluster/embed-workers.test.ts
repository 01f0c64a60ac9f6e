/**
 * The real cluster end to end: `cluster submit` of a URL list from a local image server as 12 shards, three real
 * `worker` processes (download + embed with tiny-clip + commit), one killed with -9 mid-shard. Every shard is
 * completed once, and after `merge` the collection's rows are bit-identical to a single-process `run` over the
 * same URLs. Then the queue is lost (FLUSHALL) and resubmitted: workers skip the committed shards.
 */
import assert from 'node:assert/strict';
import {createHash} from 'node:crypto';
import {mkdtemp, readdir, readFile, rm, writeFile} from 'node:fs/promises';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {after, before, test} from 'node:test';
import {readFloat32Matrix, readUnicodeArray} from '../../source/core/npy.js';
import {tinyClip} from '../embed/helpers.js';
import {type ImageServer, startImageServer} from '../helpers/image-server.js';
import {type RedisServer, startRedisOrSkip} from '../helpers/redis-server.js';
import {type Child, startCli} from './worker-process.js';

let server: ImageServer;
let redis: RedisServer | undefined;
let work: string;
const children: Child[] = [];
before(async () => {
  server = await startImageServer({count: 24});
  work = await mkdtemp(join(tmpdir(), 'vc-cluster-embed-'));
});
after(async () => {
  for (const child of children) if (child.process.exitCode === null) child.process.kill('SIGKILL');
  await server.close();
  await redis?.close();
  await rm(work, {recursive: true, force: true});
});

function cli(args: string[]): Child {
  const child = startCli(args, {VISUAL_CORTEX_JPEG_DECODER: process.env.VISUAL_CORTEX_JPEG_DECODER});
  children.push(child);
  return child;
}

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

async function outputs(embeddings: string) {
  const matrix = readFloat32Matrix(await readFile(join(embeddings, 'image_embeddings.npy')));
  const names = readUnicodeArray(await readFile(join(embeddings, 'image_filenames.npy')));
  return {matrix, names};
}

test('3 workers embed 12 shards, one killed with -9 mid-shard: each shard once, rows as a single run', {
  timeout: 600_000,
}, async (t) => {
  redis = await startRedisOrSkip(t);
  if (!redis) return;
  const list = join(work, 'list.txt');
  await writeFile(list, `${server.urls.join('\n')}\n`);
  const embeddings = join(work, 'embeddings');
  const common = ['--redis', redis.url, '--queue', 'embed'];
  const submit = [
    'cluster',
    'submit',
    ...common,
    ...['--provider', 'urls', '--urls', list, '--shard-size', '2', '--workers', '2'],
    ...['--images', join(work, 'images'), '--embeddings', embeddings, '--model', tinyClip, '--dtype', 'fp32'],
  ];
  const first = cli(submit);
  assert.equal(await first.exited, 0, first.output());
  assert.match(first.output(), /added 12 job\(s\)/);

  const flags = [...common, '--lock-seconds', '3', '--until-empty', '--threads', '1'];
  const workers = [0, 1, 2].map(() => cli(['worker', ...flags]));
  const victim = workers[0]!;
  const [, shard] = await victim.waitFor(/shard (\d{8}): start/);
  victim.process.kill('SIGKILL');
  assert.equal(await victim.exited, null);
  assert.doesNotMatch(victim.output(), new RegExp(`shard ${shard}: done`), 'killed mid-shard');
  const others = workers.slice(1);
  const codes = await Promise.all(others.map((child) => child.exited));
  const log = others.map((child) => child.output()).join('\n');
  assert.deepEqual(codes, [0, 0], log);
  assert.match(
    log,
    new RegExp(`shard ${shard}: start \\(attempt 2`),
    'another worker took the stalled shard',
  );

  const done = `${victim.output()}\n${log}`.match(/shard \d{8}: done/g) ?? [];
  assert.deepEqual(
    done.map((line) => line.slice(6, 14)).sort(),
    Array.from({length: 12}, (_, i) => String(i).padStart(8, '0')),
    'every shard completed exactly once',
  );
  const status = cli(['cluster', 'status', ...common, '--json']);
  assert.equal(await status.exited, 0, status.output());
  assert.deepEqual(JSON.parse(status.output()).counts, {
    waiting: 0,
    active: 0,
    completed: 12,
    failed: 0,
    delayed: 0,
  });
  assert.equal((await readdir(join(embeddings, 'shards'))).filter((name) => /^\d{8}$/.test(name)).length, 12);

  const merge = cli(['merge', '--embeddings', embeddings]);
  assert.equal(await merge.exited, 0, merge.output());
  const single = join(work, 'single');
  const run = cli([
    'run',
    ...['--provider', 'urls', '--urls', list, '--count', '24', '--model', tinyClip, '--dtype', 'fp32'],
    ...['--output-dir', join(single, 'images'), '--embeddings-dir', join(single, 'embeddings')],
  ]);
  assert.equal(await run.exited, 0, run.output());
  const cluster = await outputs(embeddings);
  const alone = await outputs(join(single, 'embeddings'));
  assert.equal(cluster.matrix.rows, 24);
  // Names differ (each shard downloads into its own folder, and `run` names files in the order downloads end):
  // each image's row, found by the image's bytes, is what must be the same, bit for bit.
  const rowsByImage = async (folder: string, out: Awaited<ReturnType<typeof outputs>>) => {
    const rows = new Map<string, string>();
    for (const [row, name] of out.names.entries()) {
      const {data, columns} = out.matrix;
      const vector = data.subarray(row * columns, (row + 1) * columns);
      rows.set(
        sha256(await readFile(join(folder, name))),
        Buffer.from(vector.buffer, vector.byteOffset, vector.byteLength).toString('hex'),
      );
    }
    return rows;
  };
  assert.match(cluster.names[2] ?? '', /^shards\/00000001\//);
  const clusterRows = await rowsByImage(join(work, 'images'), cluster);
  const aloneRows = await rowsByImage(join(single, 'images'), alone);
  assert.equal(clusterRows.size, 24);
  assert.deepEqual(clusterRows, aloneRows, 'the rows are bit-identical');

  const again = cli(submit);
  assert.equal(await again.exited, 0, again.output());
  assert.match(again.output(), /added 0 job\(s\); 12 were queued already/);

  // Redis loses the queue: the same source gets the same ids back, and workers skip what is committed.
  redis.cli('FLUSHALL');
  const resubmit = cli(submit);
  assert.equal(await resubmit.exited, 0, resubmit.output());
  assert.match(resubmit.output(), /added 12 job\(s\)/);
  const hits = server.totalHits();
  const lone = cli(['worker', ...flags]);
  assert.equal(await lone.exited, 0, lone.output());
  assert.equal(lone.output().match(/committed before: skipped/g)?.length, 12, lone.output());
  assert.equal(server.totalHits(), hits, 'nothing downloaded again');
});
