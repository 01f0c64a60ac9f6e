/**
 * What the walk skips, and why: names that are not UTF-8, broken symlinks, symlink loops, named pipes, sockets and
 * devices are counted with a reason instead of vanishing or failing later with a misleading ENOENT.
 */
import assert from 'node:assert/strict';
import {execFileSync} from 'node:child_process';
import {cp, mkdir, mkdtemp, readFile, rm, symlink, writeFile} from 'node:fs/promises';
import {createServer, type Server} from 'node:net';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {after, before, test} from 'node:test';
import {skippedLines} from '../../source/commands/embed.js';
import {embedImages} from '../../source/core/embed/embed-images.js';
import {walkImageFiles} from '../../source/core/embed/file-walk.js';
import {fixtureEmbedOptions, fixtureImages} from './helpers.js';

const posix = process.platform !== 'win32';
let work: string;
let input: string;
let socketServer: Server | undefined;

/** A name whose bytes are not UTF-8 (Latin-1 'é'); null where the file system refuses such names. */
async function writeLatin1Name(dir: string, stem: string, extension: string, bytes: Uint8Array) {
  const name = Buffer.concat([Buffer.from(stem), Buffer.from([0xe9]), Buffer.from(extension)]);
  try {
    await writeFile(Buffer.concat([Buffer.from(`${dir}/`), name]), bytes);
    return true;
  } catch {
    return false;
  }
}

before(async () => {
  work = await mkdtemp(join(tmpdir(), 'vc-walk-'));
  input = join(work, 'images');
  await mkdir(join(input, 'sub'), {recursive: true});
  await cp(join(fixtureImages, 'photo_640x480.jpg'), join(input, 'photo.jpg'));
  await cp(join(fixtureImages, 'square_224.png'), join(input, 'sub', 'square.png'));
  await writeFile(join(input, 'notes.txt'), 'not an image');
  await writeFile(join(input, 'clip.mp4'), Buffer.from('\0\0\0\x18ftypmp42'));
  await symlink(join(input, 'photo.jpg'), join(input, 'linked.jpg'));
  await symlink(join(input, 'nowhere.jpg'), join(input, 'broken.jpg'));
  await symlink('loop-b.jpg', join(input, 'loop-a.jpg'));
  await symlink('loop-a.jpg', join(input, 'loop-b.jpg'));
  await symlink(join(input, 'sub'), join(input, 'linked-folder'));
  if (posix) {
    execFileSync('mkfifo', [join(input, 'pipe.jpg')]);
    await symlink('/dev/null', join(input, 'device.jpg'));
    const server = createServer();
    socketServer = server;
    await new Promise<void>((resolve) => server.listen(join(input, 'socket.jpg'), resolve));
  }
});

after(async () => {
  await new Promise((resolve) => (socketServer ? socketServer.close(resolve) : resolve(undefined)));
  await rm(work, {recursive: true, force: true});
});

test('entries that are not files, or cannot be named, are skipped with their reasons', async (t) => {
  const photo = await readFile(join(fixtureImages, 'tiny_50x40.png'));
  const latin1 = await writeLatin1Name(input, 'caf', '.png', photo);
  if (!latin1) t.diagnostic('this file system refuses names that are not UTF-8: that case is not tested');
  const walk = await walkImageFiles(input);
  assert.deepEqual(
    walk.files.map((file) => file.relative),
    ['linked.jpg', 'photo.jpg', 'sub/square.png'],
  );
  const expected: Record<string, string> = {
    'broken.jpg': 'broken symlink (its target does not exist)',
    'clip.mp4': 'not an image (.mp4 file)',
    'linked-folder': 'symlink to a folder (not followed)',
    'loop-a.jpg': 'symlink loop',
    'loop-b.jpg': 'symlink loop',
    'notes.txt': 'not an image (.txt file)',
  };
  if (posix) {
    expected['device.jpg'] = 'symlink to a device, not a file';
    expected['pipe.jpg'] = 'a named pipe (FIFO), not a file';
    expected['socket.jpg'] = 'a socket, not a file';
  }
  if (latin1) expected['caf\uFFFD.png'] = 'file name is not valid UTF-8 (rename it)';
  assert.deepEqual(Object.fromEntries(walk.skipped.map(({file, reason}) => [file, reason])), expected);
  assert.deepEqual(
    walk.skipped.map(({file}) => file),
    Object.keys(expected).sort(),
    'sorted like the files',
  );
});

test('embed counts the skipped entries, fails none of them, and the CLI groups them by reason', async () => {
  const embeddingsDir = join(work, 'out');
  let scanned: Awaited<ReturnType<typeof walkImageFiles>>['skipped'] = [];
  const report = await embedImages({
    ...fixtureEmbedOptions(work, {imagesDir: input, embeddingsDir}),
    onEvent: (event) => {
      if (event.type === 'scanned') scanned = event.skipped;
    },
  });
  const {counts, failures} = report.metadata;
  assert.deepEqual(failures, []);
  assert.equal(counts.ok, 3);
  assert.equal(counts.skipped, scanned.length);
  assert.ok(scanned.length >= 6);
  const lines = skippedLines(scanned);
  assert.ok(lines.includes('  skipped 2: symlink loop (e.g. loop-a.jpg)'), lines.join('\n'));
  assert.ok(lines.includes('  skipped 1: broken symlink (its target does not exist) (broken.jpg)'));
});

test('more than ten reasons end in a count of the rest', () => {
  const skipped = Array.from({length: 13}, (_, i) => ({
    file: `f${i}.x${i}`,
    reason: `not an image (.x${i} file)`,
  }));
  const lines = skippedLines(skipped);
  assert.equal(lines.length, 11);
  assert.equal(lines.at(-1), '  skipped for 3 more reasons');
});
