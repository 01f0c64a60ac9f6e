import assert from 'node:assert/strict';
import {mkdtemp, readdir, rm, stat} from 'node:fs/promises';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {test} from 'node:test';
import {render} from 'ink-testing-library';
import {openCollection} from '../../source/core/collection/reader.js';
import type {ScanView} from '../../source/core/duplicates/scan-view.js';
import {duplicatesSession} from '../../source/core/duplicates/session.js';
import {RUN_DEFAULTS} from '../../source/core/run/run-setup.js';
import {DuplicatesFrame, DuplicatesScreen} from '../../source/ui/duplicates-screen.js';
import {makePhotoCollection} from '../duplicates/photo-collection.js';
import {frameMatches, KEYS, press} from './keys.js';
import {renderMenuDashboard} from './menu-dashboard.js';

const member = (row: number, file: string, action: 'keep' | 'duplicate', distance?: number) => ({
  row,
  file,
  shard: '00000000',
  shardRow: row,
  sha256: '',
  bytes: 2048 * (row + 1),
  mtimeMs: 1,
  width: 800,
  height: 600,
  kind: distance === undefined ? ('representative' as const) : ('phash' as const),
  transitive: false,
  ...(distance === undefined ? {} : {phashDistance: distance}),
  action,
});

const VIEW: ScanView = {
  embeddingsDir: '/e',
  imagesDir: '/data/photos',
  method: 'phash',
  thresholds: {phash: 10, clip: 0.95},
  keep: 'largest',
  rows: 9,
  groupCount: 2,
  duplicateRows: 3,
  hashesComputed: 0,
  hashesMissing: 0,
  notes: [],
  interrupted: false,
  seconds: 0.1,
  groups: [
    {
      kind: 'near',
      keep: 'b.jpg',
      members: [
        member(0, 'a.jpg', 'duplicate'),
        member(1, 'b.jpg', 'keep', 4),
        member(2, 'c.jpg', 'duplicate', 6),
      ],
    },
    {kind: 'exact', keep: 'e.jpg', members: [member(4, 'd.jpg', 'duplicate'), member(5, 'e.jpg', 'keep', 0)]},
  ],
};

test('browse groups, open one, mark keep/move, apply after a confirmation', async () => {
  const applied: number[][] = [];
  const {lastFrame, stdin, unmount} = render(
    <DuplicatesScreen
      scan={async () => VIEW}
      apply={async (keep) => {
        applied.push([...keep].sort());
        return ['moved 2 files'];
      }}
    />,
  );
  try {
    await frameMatches(lastFrame, /2 groups among 9 images · 3 marked to move/);
    assert.match(lastFrame() ?? '', /› +1 near +3 files · keep b\.jpg · move 2/);
    await press(stdin, KEYS.down);
    await frameMatches(lastFrame, /› +2 exact +2 files · keep e\.jpg · move 1/);
    await press(stdin, KEYS.up, KEYS.enter);
    await frameMatches(lastFrame, /› \[move\] a\.jpg/);
    assert.match(lastFrame() ?? '', /\[keep\] b\.jpg .*800x600 .* 4 bits/);
    // a.jpg kept too, then b.jpg moved: the group keeps a.jpg only.
    await press(stdin, 'k', KEYS.down, 'm');
    await frameMatches(lastFrame, /› \[move\] b\.jpg/);
    assert.match(lastFrame() ?? '', /\[keep\] a\.jpg/);
    // The last kept file cannot be marked to move.
    await press(stdin, KEYS.up, 'm');
    await frameMatches(lastFrame, /keeps at least one file/);
    await press(stdin, 'a');
    await frameMatches(lastFrame, /Move 3 files \(.*\) to \/data\/photos-duplicates\? y\/n/);
    await press(stdin, 'n');
    await frameMatches(lastFrame, /nothing moved/);
    assert.deepEqual(applied, []);
    await press(stdin, KEYS.escape, 'a', 'y');
    await frameMatches(lastFrame, /moved 2 files/);
    assert.deepEqual(applied, [[0, 5]]);
  } finally {
    unmount();
  }
});

test('the dashboard menu opens the duplicates screen', async () => {
  const opened: string[] = [];
  const {lastFrame, stdin, unmount} = renderMenuDashboard({
    openDuplicates: (embeddingsDir: string) => {
      opened.push(embeddingsDir);
      // Never settles: the screen stays on its scan, which is all this test looks at.
      return new Promise(() => {});
    },
  });
  try {
    await frameMatches(lastFrame, /Find duplicates/);
    await press(stdin, KEYS.down, KEYS.enter);
    for (let tries = 0; opened.length === 0 && tries < 100; tries++)
      await new Promise((r) => setTimeout(r, 50));
    assert.equal(opened[0], RUN_DEFAULTS.embeddingsDir);
    assert.doesNotMatch(lastFrame() ?? '', /Find duplicates/);
  } finally {
    unmount();
  }
});

test('on a real collection: the marked files move beside the images folder and leave the collection', async () => {
  const root = await mkdtemp(join(tmpdir(), 'vc-dup-screen-'));
  try {
    const {images, embeddings} = await makePhotoCollection(root);
    const {lastFrame, stdin, unmount} = render(
      <DuplicatesFrame embeddingsDir={embeddings} open={duplicatesSession} onBack={() => {}} />,
    );
    try {
      await frameMatches(lastFrame, /3 groups among 11 images · 6 marked to move/, 30_000);
      await press(stdin, 'a', 'y');
      await frameMatches(lastFrame, /moved 6 files .* to .*images-duplicates/, 30_000);
      assert.match(lastFrame() ?? '', /undo: visual-cortex duplicates --undo --journal/);
    } finally {
      unmount();
    }
    const moved = (await readdir(join(root, 'images-duplicates'), {recursive: true})).filter((f) =>
      f.endsWith('.jpg'),
    );
    assert.equal(moved.length, 6);
    const collection = await openCollection(embeddings);
    assert.equal(collection.files.length, 5);
    for (const file of collection.files) await stat(join(images, file));
  } finally {
    await rm(root, {recursive: true, force: true});
  }
});
