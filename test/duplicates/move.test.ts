import assert from 'node:assert/strict';
import {createHash} from 'node:crypto';
import {appendFile, link, mkdir, mkdtemp, readFile, rm, stat, writeFile} from 'node:fs/promises';
import {tmpdir} from 'node:os';
import {dirname, join} from 'node:path';
import {after, test} from 'node:test';
import type {DuplicateGroup} from '../../source/core/duplicates/find-duplicates.js';
import {readJournal} from '../../source/core/duplicates/move-journal.js';
import {type MoveRow, planMoves} from '../../source/core/duplicates/move-plan.js';
import {executeMoves} from '../../source/core/duplicates/move-run.js';
import {undoMoves} from '../../source/core/duplicates/move-undo.js';
import {copyAcross, partialPath} from '../../source/core/duplicates/safe-move.js';

const dirs: string[] = [];
after(async () => {
  for (const dir of dirs) await rm(dir, {recursive: true, force: true});
});

async function tempDir(parent = tmpdir()): Promise<string> {
  const dir = await mkdtemp(join(parent, 'vc-dups-'));
  dirs.push(dir);
  return dir;
}

const group = (...rows: number[]): DuplicateGroup => ({
  representative: rows[0]!,
  members: rows.map((row, index) => ({
    row,
    kind: index === 0 ? 'representative' : 'clip',
    transitive: false,
  })),
});
const sha = (text: string) => createHash('sha256').update(text).digest('hex');

/** An images folder with files a.jpg, b.jpg, sub/c.jpg, sub/deep/d.jpg, e.jpg, f.jpg; contents are their names. */
async function imagesFolder(root: string): Promise<{imagesDir: string; rows: MoveRow[]}> {
  const imagesDir = join(root, 'images');
  const specs = [
    ['a.jpg', 100, 100, 3000],
    ['b.jpg', 200, 100, 2000],
    ['sub/c.jpg', 200, 100, 1000],
    ['sub/deep/d.jpg', 50, 50, 5000],
    ['e.jpg', 10, 10, 100],
    ['f.jpg', 10, 10, 100],
  ] as const;
  const rows: MoveRow[] = [];
  for (const [file, width, height, mtimeMs] of specs) {
    const path = join(imagesDir, file);
    await mkdir(dirname(path), {recursive: true});
    await writeFile(path, `contents of ${file}`);
    rows.push({
      file,
      width,
      height,
      mtimeMs,
      bytes: `contents of ${file}`.length,
      sha256: sha(`contents of ${file}`),
    });
  }
  return {imagesDir, rows};
}

test('the plan keeps one per group by the rule and keeps relative paths; it touches nothing', async () => {
  const root = await tempDir();
  const {imagesDir, rows} = await imagesFolder(root);
  const moveTo = join(root, 'dups');
  const groups = [group(0, 1, 2, 3), group(4, 5)];
  const kept = (keep: 'largest' | 'oldest' | 'first') =>
    planMoves({groups, rows, keep, imagesDir, moveTo}).kept.map((entry) => entry.file);
  // b and sub/c have the most pixels; b has more bytes ("b.jpg" vs "sub/c.jpg" contents: c's is longer).
  assert.deepEqual(kept('largest'), ['sub/c.jpg', 'e.jpg']);
  assert.deepEqual(kept('oldest'), ['sub/c.jpg', 'e.jpg']);
  assert.deepEqual(kept('first'), ['a.jpg', 'e.jpg']);
  const plan = planMoves({groups, rows, keep: 'first', imagesDir, moveTo});
  assert.deepEqual(
    plan.moves.map((move) => [move.from, move.to]),
    [
      [join(imagesDir, 'b.jpg'), join(moveTo, 'b.jpg')],
      [join(imagesDir, 'sub/c.jpg'), join(moveTo, 'sub/c.jpg')],
      [join(imagesDir, 'sub/deep/d.jpg'), join(moveTo, 'sub/deep/d.jpg')],
      [join(imagesDir, 'f.jpg'), join(moveTo, 'f.jpg')],
    ],
  );
  assert.equal(plan.bytes, rows.slice(1, 4).reduce((sum, row) => sum + row.bytes, 0) + rows[5]!.bytes);
  await assert.rejects(stat(moveTo), {code: 'ENOENT'});

  const unsafe = [...rows, {...rows[0]!, file: '../outside.jpg'}, {...rows[0]!, file: '/etc/passwd'}];
  const risky = planMoves({groups: [group(0, 6, 7)], rows: unsafe, keep: 'first', imagesDir, moveTo});
  assert.deepEqual(
    risky.skipped.map((entry) => entry.reason),
    ['the name leaves the images folder', 'the name is not relative to the images folder'],
  );
  for (const bad of [join(imagesDir, 'dups'), imagesDir, root])
    assert.throws(
      () => planMoves({groups, rows, keep: 'first', imagesDir, moveTo: bad}),
      (error: Error) => error.name === 'UserError' && /images folder/.test(error.message),
    );
});

test('moves are journaled, never overwrite, and report each item; undo puts everything back', async () => {
  const root = await tempDir();
  const {imagesDir, rows} = await imagesFolder(root);
  const moveTo = join(root, 'dups');
  await mkdir(join(moveTo, 'sub'), {recursive: true});
  await writeFile(join(moveTo, 'sub/c.jpg'), 'an older file with this name');
  await writeFile(join(imagesDir, 'sub/deep/d.jpg'), 'edited since it was indexed');
  await rm(join(imagesDir, 'f.jpg'));
  const plan = planMoves({groups: [group(0, 1, 2, 3), group(4, 5)], rows, keep: 'first', imagesDir, moveTo});
  const journalPath = join(moveTo, 'journal.jsonl');
  const report = await executeMoves(plan, {journalPath});
  assert.deepEqual(
    report.outcomes.map((outcome) => [outcome.file, outcome.status]),
    [
      ['b.jpg', 'moved'],
      ['sub/c.jpg', 'renamed'],
      ['sub/deep/d.jpg', 'changed'],
      ['f.jpg', 'missing'],
    ],
  );
  assert.equal(report.outcomes[1]!.to, join(moveTo, 'sub/c (1).jpg'));
  assert.equal(await readFile(join(moveTo, 'sub/c.jpg'), 'utf8'), 'an older file with this name');
  assert.equal(await readFile(join(moveTo, 'sub/c (1).jpg'), 'utf8'), 'contents of sub/c.jpg');
  assert.equal(await readFile(join(moveTo, 'b.jpg'), 'utf8'), 'contents of b.jpg');
  await assert.rejects(stat(join(imagesDir, 'b.jpg')), {code: 'ENOENT'});
  assert.deepEqual(report.counts, {moved: 1, renamed: 1, missing: 1, changed: 1, conflict: 0, failed: 0});
  const lines = (await readFile(journalPath, 'utf8'))
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line));
  assert.deepEqual(
    lines.slice(1).map((line) => `${line.op} ${line.id}`),
    ['move 0', 'done 0', 'move 1', 'done 1'],
  );

  const refused = await executeMoves(
    planMoves({groups: [group(0, 2)], rows, keep: 'first', imagesDir, moveTo}),
    {journalPath: join(moveTo, 'journal-2.jsonl'), onConflict: 'refuse'},
  );
  assert.deepEqual(
    refused.outcomes.map((outcome) => outcome.status),
    ['missing'],
  ); // c already moved
  await writeFile(join(imagesDir, 'b.jpg'), 'contents of b.jpg');
  const conflict = await executeMoves(
    planMoves({groups: [group(0, 1)], rows, keep: 'first', imagesDir, moveTo}),
    {journalPath: join(moveTo, 'journal-3.jsonl'), onConflict: 'refuse'},
  );
  assert.deepEqual(
    conflict.outcomes.map((outcome) => outcome.status),
    ['conflict'],
  );
  await rm(join(imagesDir, 'b.jpg'));
  await assert.rejects(executeMoves(plan, {journalPath}), /already exists/);

  const undo = await undoMoves({journalPath});
  assert.deepEqual(undo.counts, {restored: 2, 'in-place': 0, missing: 0, conflict: 0, failed: 0});
  assert.equal(await readFile(join(imagesDir, 'b.jpg'), 'utf8'), 'contents of b.jpg');
  assert.equal(await readFile(join(imagesDir, 'sub/c.jpg'), 'utf8'), 'contents of sub/c.jpg');
  assert.equal(await readFile(join(moveTo, 'sub/c.jpg'), 'utf8'), 'an older file with this name');
  const again = await undoMoves({journalPath});
  assert.deepEqual(again.counts, {restored: 0, 'in-place': 2, missing: 0, conflict: 0, failed: 0});
  assert.deepEqual(
    (await readJournal(journalPath)).moves.map((move) => move.state),
    ['undone', 'undone'],
  );
});

test('after a crash mid-way (moves started, not marked done, a torn last line) undo restores every file', async () => {
  const root = await tempDir();
  const {imagesDir, rows} = await imagesFolder(root);
  const moveTo = join(root, 'dups');
  const plan = planMoves({groups: [group(0, 1, 2, 3, 4)], rows, keep: 'first', imagesDir, moveTo});
  const journalPath = join(moveTo, 'journal.jsonl');
  await executeMoves({...plan, moves: plan.moves.slice(0, 1)}, {journalPath}); // b.jpg moved and marked done
  const [, c, d, e] = plan.moves;
  const started = (id: number, move: typeof c) =>
    `${JSON.stringify({op: 'move', id, from: move!.from, to: move!.to, bytes: move!.bytes, sha256: move!.sha256})}\n`;
  // c: the crash came between link and unlink (both names, one inode).
  await mkdir(dirname(c!.to), {recursive: true});
  await link(c!.from, c!.to);
  // d: a cross-device copy finished but the source was not unlinked yet (two identical files), plus leftovers.
  await mkdir(dirname(d!.to), {recursive: true});
  await writeFile(d!.to, await readFile(d!.from));
  await writeFile(partialPath(d!.to), 'half a copy');
  // e: recorded, then the crash came before anything moved.
  await appendFile(journalPath, started(1, c) + started(2, d) + started(3, e));
  await appendFile(journalPath, '{"op":"done","id":3,"ho'); // torn by the crash
  const {moves} = await readJournal(journalPath);
  assert.deepEqual(
    moves.map((move) => move.state),
    ['done', 'started', 'started', 'started'],
  );

  const undo = await undoMoves({journalPath});
  assert.deepEqual(
    undo.outcomes.map((outcome) => outcome.status),
    ['in-place', 'restored', 'restored', 'restored'],
  );
  for (const move of plan.moves) {
    assert.equal(await readFile(move.from, 'utf8'), `contents of ${move.file}`);
    await assert.rejects(stat(move.to), {code: 'ENOENT'}, move.to);
  }
  await assert.rejects(stat(partialPath(d!.to)), {code: 'ENOENT'});
});

test('undo leaves both files when the original name holds something else now', async () => {
  const root = await tempDir();
  const {imagesDir, rows} = await imagesFolder(root);
  const moveTo = join(root, 'dups');
  const plan = planMoves({groups: [group(0, 1)], rows, keep: 'first', imagesDir, moveTo});
  const journalPath = join(moveTo, 'journal.jsonl');
  await executeMoves(plan, {journalPath});
  await writeFile(join(imagesDir, 'b.jpg'), 'a new photo saved under the old name');
  const undo = await undoMoves({journalPath});
  assert.deepEqual(
    undo.outcomes.map((outcome) => outcome.status),
    ['conflict'],
  );
  assert.equal(await readFile(join(imagesDir, 'b.jpg'), 'utf8'), 'a new photo saved under the old name');
  assert.equal(await readFile(join(moveTo, 'b.jpg'), 'utf8'), 'contents of b.jpg');
});

test('moves work across file systems (copy, fsync, unlink), and back', async (t) => {
  const root = await tempDir();
  const {imagesDir, rows} = await imagesFolder(root);
  const other = await stat('/dev/shm').then(
    async (info) => (info.dev !== (await stat(root)).dev ? tempDir('/dev/shm') : undefined),
    () => undefined,
  );
  const from = join(root, 'copy-me.jpg');
  await writeFile(from, 'bytes');
  await copyAcross(from, join(root, 'copied.jpg'));
  assert.equal(await readFile(join(root, 'copied.jpg'), 'utf8'), 'bytes');
  assert.ok(Math.abs((await stat(join(root, 'copied.jpg'))).mtimeMs - (await stat(from)).mtimeMs) < 1);
  await assert.rejects(copyAcross(from, join(root, 'copied.jpg')), {name: 'TargetExistsError'});
  if (!other) {
    t.skip('no second file system (/dev/shm) here');
    return;
  }
  const moveTo = join(other, 'dups');
  const plan = planMoves({groups: [group(0, 1, 3)], rows, keep: 'first', imagesDir, moveTo});
  const journalPath = join(moveTo, 'journal.jsonl');
  const report = await executeMoves(plan, {journalPath});
  assert.deepEqual(report.counts.moved, 2);
  const done = (await readFile(journalPath, 'utf8')).split('\n').filter((line) => line.includes('"done"'));
  assert.ok(done.every((line) => JSON.parse(line).how === 'copy'));
  assert.equal(await readFile(join(moveTo, 'sub/deep/d.jpg'), 'utf8'), 'contents of sub/deep/d.jpg');
  await assert.rejects(stat(join(imagesDir, 'sub/deep/d.jpg')), {code: 'ENOENT'});
  const undo = await undoMoves({journalPath});
  assert.equal(undo.counts.restored, 2);
  assert.equal(await readFile(join(imagesDir, 'sub/deep/d.jpg'), 'utf8'), 'contents of sub/deep/d.jpg');
});
