import assert from 'node:assert/strict';
import {rmSync, writeFileSync} from 'node:fs';
import {mkdtemp, readdir, rm, writeFile} from 'node:fs/promises';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {after, before, test} from 'node:test';
import type {EmbedEvent} from '../../source/core/embed/embed-events.js';
import {embedImages} from '../../source/core/embed/embed-images.js';
import {asOutputWriteError} from '../../source/core/fs/output-folder.js';
import {fixtureImages, tinyClip} from './helpers.js';

let work: string;
before(async () => {
  work = await mkdtemp(join(tmpdir(), 'vc-output-folder-'));
});
after(async () => {
  await rm(work, {recursive: true, force: true});
});

const options = (embeddingsDir: string, onEvent?: (event: EmbedEvent) => void) => ({
  imagesDir: fixtureImages,
  embeddingsDir,
  model: tinyClip,
  modelsDir: join(work, 'no-models'),
  dtype: 'fp32' as const,
  device: 'cpu' as const,
  batchSize: 4,
  threads: 1,
  ...(onEvent ? {onEvent} : {}),
});

test('an output folder that cannot be made is the user error it is, found before any work starts', async () => {
  const file = join(work, 'a-file');
  await writeFile(file, 'not a folder');
  const events: string[] = [];
  await assert.rejects(
    embedImages(options(join(file, 'embeddings'), (event) => events.push(event.type))),
    (error: Error & {hint?: string}) => {
      assert.equal(error.name, 'UserError');
      assert.match(
        error.message,
        /the output folder .*a-file\/embeddings cannot be made: .*a-file is a file/,
      );
      assert.match(error.hint ?? '', /writable output folder/);
      return true;
    },
  );
  assert.deepEqual(events, [], 'nothing scanned or loaded');
});

test('a write that fails mid-run (the folder went away under a file) is a user error and leaves no temp file', async () => {
  const parent = join(work, 'parent');
  await assert.rejects(
    embedImages(
      options(join(parent, 'out'), (event) => {
        // After the checks passed (and the folder was made for its lock): a file now sits where its parent was.
        if (event.type === 'model-loaded') {
          rmSync(parent, {recursive: true});
          writeFileSync(parent, 'in the way');
        }
      }),
    ),
    (error: Error) => {
      assert.equal(error.name, 'UserError');
      assert.match(
        error.message,
        /cannot write the outputs in .*parent\/out: a part of the path is a file \(ENOTDIR\)/,
      );
      return true;
    },
  );
  assert.deepEqual(await readdir(work).then((names) => names.filter((name) => name.startsWith('.tmp'))), []);
});

test('write failures the user can fix become UserErrors with a fix; others stay bugs', () => {
  const full = Object.assign(new Error('no space'), {code: 'ENOSPC'});
  const mapped = asOutputWriteError(full, '/data/out') as Error & {hint?: string};
  assert.equal(mapped.name, 'UserError');
  assert.match(
    mapped.message,
    /cannot write the outputs in \/data\/out: the disk is full \(ENOSPC\); earlier outputs there are unchanged/,
  );
  assert.match(mapped.hint ?? '', /free some space/);
  const readOnly = asOutputWriteError(Object.assign(new Error('ro'), {code: 'EROFS'}), '/x') as Error;
  assert.match(readOnly.message, /read-only/);
  const bug = new TypeError('undefined is not a function');
  assert.equal(asOutputWriteError(bug, '/x'), bug);
});
