import assert from 'node:assert/strict';
import {test} from 'node:test';
import {render} from 'ink-testing-library';
import {buildStatus, type ClusterStatus} from '../../source/core/cluster/status.js';
import type {ClusterRecord, ShardJobProgress} from '../../source/core/cluster/types.js';
import {UserError} from '../../source/core/errors.js';
import {ClusterStatusScreen, ClusterStatusView} from '../../source/ui/cluster-status-screen.js';
import {eventually, frameMatches, KEYS, press} from './keys.js';
import {renderMenuDashboard} from './menu-dashboard.js';

const record = {
  queue: 'visual-cortex',
  embeddingsDir: '/mnt/shared/emb',
  model: 'ViT-B-32',
  dtype: 'q8',
  shards: 10,
  images: 40_960,
  source: 'urls list.txt (40,960 lines)',
} as ClusterRecord;

const progress = (over: Partial<ShardJobProgress>): ShardJobProgress => ({
  stage: 'embed',
  done: 1024,
  total: 4096,
  failed: 0,
  shard: '00000003',
  worker: 'gpu-a:4242',
  host: 'gpu-a',
  pid: 4242,
  imagesPerSecond: 30,
  rssBytes: 900 * 2 ** 20,
  peakRssBytes: 1200 * 2 ** 20,
  startedAt: 0,
  updatedAt: 100_000,
  ...over,
});

/** Built by the same buildStatus that `cluster status --json` prints. */
function sample(): ClusterStatus {
  return buildStatus(
    {
      counts: {waiting: 4, active: 2, completed: 3, failed: 1, delayed: 0},
      active: [
        {id: '00000003', attempt: 1, count: 4096, progress: progress({})},
        {
          id: '00000004',
          attempt: 2,
          count: 4096,
          progress: progress({
            shard: '00000004',
            worker: 'cpu-b:77',
            host: 'cpu-b',
            pid: 77,
            done: 2048,
            imagesPerSecond: 20,
            updatedAt: 60_000,
          }),
        },
      ],
      failed: [{id: '00000009', attempts: 3, reason: 'ENOSPC: no space left on device'}],
      workers: ['gpu-a:4242', 'cpu-b:77', 'cpu-c:88'],
    } as never,
    record,
    {queue: 'visual-cortex', address: '10.0.0.5:6379', now: 100_500},
  );
}

test('the cluster screen shows counts, a row per worker, the total rate, ETA and failures', () => {
  const {lastFrame} = render(<ClusterStatusView status={sample()} />);
  const frame = lastFrame() ?? '';
  for (const line of frame.split('\n')) assert.ok(line.length <= 80, `fits 80 columns: ${line}`);
  assert.match(frame, /queue visual-cortex on 10\.0\.0\.5:6379/);
  assert.match(frame, /3\/10 shards/);
  assert.match(frame, /4 waiting · 2 active · 3 completed · 1 failed/);
  assert.match(frame, /Workers \(3 on 3 hosts\)/);
  assert.match(frame, /gpu-a:4242 +00000003 embed +1024\/4096 +30 img\/s {2}900 MB \/ 1\.2 GB\n/);
  assert.match(frame, /cpu-b:77 +00000004 embed +2048\/4096 +silent 41 s {2}900 MB \/ 1\.2 GB/);
  assert.match(frame, /cpu-c:88 +idle/);
  // 4 waiting x 4096 + 3072 + 2048 left at 50 img/s.
  assert.match(frame, /Total 50 img\/s · 21504 images left · ETA 07:10/);
  assert.match(frame, /00000009 after 3 attempt\(s\): ENOSPC: no space left on device/);
});

test('the live screen re-reads the status, keeps the last one when a read fails, and quits on q', async () => {
  let reads = 0;
  let quit = 0;
  const read = async () => {
    reads++;
    if (reads === 2) throw new Error('redis 10.0.0.5:6379 unreachable');
    return sample();
  };
  const {lastFrame, stdin, unmount} = render(
    <ClusterStatusScreen read={read} intervalMs={20} onQuit={() => quit++} />,
  );
  await eventually(() => assert.ok(reads >= 3));
  await eventually(() => assert.match(lastFrame() ?? '', /3\/10 shards/));
  await press(stdin, 'q');
  assert.equal(quit, 1);
  unmount();
});

test('the dashboard menu opens the cluster screen, shows a missing Redis URL with its fix, and Esc comes back', async () => {
  let failing = true;
  const {lastFrame, stdin, unmount} = renderMenuDashboard({
    readClusterStatus: async () => {
      if (failing) throw new UserError('the cluster commands need a Redis server', 'pass --redis URL');
      return sample();
    },
  });
  try {
    await frameMatches(lastFrame, /Cluster status/);
    await press(stdin, KEYS.down, KEYS.enter);
    await frameMatches(
      lastFrame,
      /cannot read the queue: the cluster commands need a Redis server \(fix: pass --redis URL\)/,
    );
    failing = false;
    await press(stdin, KEYS.escape);
    await frameMatches(lastFrame, /New run/);
    await press(stdin, KEYS.down, KEYS.enter);
    await frameMatches(lastFrame, /3\/10 shards/);
  } finally {
    unmount();
  }
});
