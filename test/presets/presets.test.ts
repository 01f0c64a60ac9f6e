import assert from 'node:assert/strict';
import {mkdtemp, readFile, rm, writeFile} from 'node:fs/promises';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {after, before, describe, test} from 'node:test';
import {isUserError} from '../../source/core/errors.js';
import {applyPresetValues, resolvePresetFlags} from '../../source/core/presets/apply-preset.js';
import {openPresetStore} from '../../source/core/presets/preset-store.js';

const specs = {
  provider: {type: 'string'},
  count: {type: 'number'},
  workers: {type: 'number'},
  json: {type: 'boolean'},
  preset: {type: 'string'},
} as const;

describe('preset store', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'vc-presets-'));
  });
  after(async () => {
    await rm(dir, {recursive: true, force: true});
  });

  test('saves, lists, shows and deletes presets in the injected config dir', async () => {
    const store = openPresetStore({configDir: dir});
    assert.deepEqual(store.list(), []);
    store.save('small', {provider: 'picsum', count: 10}, new Date('2026-01-01T00:00:00Z'));
    store.save('big', {count: 1000});
    assert.deepEqual(
      store.list().map((preset) => preset.name),
      ['big', 'small'],
    );
    assert.deepEqual(store.get('small'), {
      name: 'small',
      values: {provider: 'picsum', count: 10},
      savedAt: '2026-01-01T00:00:00.000Z',
    });
    const onDisk = JSON.parse(await readFile(join(dir, 'presets.json'), 'utf8'));
    assert.equal(onDisk.formatVersion, 1);
    assert.equal(store.delete('big'), true);
    assert.equal(store.delete('big'), false);
    assert.equal(openPresetStore({env: {VISUAL_CORTEX_CONFIG_DIR: dir}}).get('big'), undefined);
  });

  test('rejects names that cannot be typed safely', () => {
    const store = openPresetStore({configDir: dir});
    assert.throws(() => store.save('../evil', {}), isUserError);
    assert.throws(() => store.save('', {}), isUserError);
  });

  test('a corrupt file is a clear UserError and is left untouched', async () => {
    const corruptDir = await mkdtemp(join(tmpdir(), 'vc-presets-bad-'));
    try {
      const path = join(corruptDir, 'presets.json');
      await writeFile(path, '{"formatVersion": 1, "presets": {');
      assert.throws(
        () => openPresetStore({configDir: corruptDir}).list(),
        (error: unknown) =>
          isUserError(error) && /corrupt/.test(error.message) && error.message.includes(path),
      );
      assert.equal(await readFile(path, 'utf8'), '{"formatVersion": 1, "presets": {');
    } finally {
      await rm(corruptDir, {recursive: true, force: true});
    }
  });

  test('an outdated or newer file format is a clear UserError', async () => {
    const oldDir = await mkdtemp(join(tmpdir(), 'vc-presets-old-'));
    try {
      await writeFile(join(oldDir, 'presets.json'), JSON.stringify({small: {count: 3}}));
      assert.throws(
        () => openPresetStore({configDir: oldDir}).list(),
        (error: unknown) => isUserError(error) && /format/.test(error.message) && Boolean(error.hint),
      );
      await writeFile(join(oldDir, 'presets.json'), JSON.stringify({formatVersion: 9, presets: {}}));
      assert.throws(() => openPresetStore({configDir: oldDir}).get('x'), /formatVersion 9/);
      await writeFile(
        join(oldDir, 'presets.json'),
        JSON.stringify({formatVersion: 1, presets: {x: {values: {a: [1]}, savedAt: 'now'}}}),
      );
      assert.throws(() => openPresetStore({configDir: oldDir}).list(), /non-scalar/);
    } finally {
      await rm(oldDir, {recursive: true, force: true});
    }
  });
});

describe('preset precedence', () => {
  test('defaults < preset < explicit flags', () => {
    const result = applyPresetValues({
      presetName: 'p',
      values: {provider: 'unsplash', count: 50, workers: 2, unknownFlag: 'x', json: true},
      flags: {provider: 'picsum', count: 7, workers: 8, json: false},
      explicitFlags: new Set(['count']),
      flagSpecs: specs,
    });
    assert.deepEqual(result.flags, {provider: 'unsplash', count: 7, workers: 2, json: false});
    assert.deepEqual(result.applied.sort(), ['provider', 'workers']);
    assert.deepEqual(result.ignored.sort(), ['json', 'unknownFlag']);
  });

  test('a value of the wrong type names the preset and the flag', () => {
    assert.throws(
      () =>
        applyPresetValues({
          presetName: 'p',
          values: {count: 'many'},
          flags: {count: 1},
          explicitFlags: new Set(),
          flagSpecs: specs,
        }),
      (error: unknown) => isUserError(error) && /preset 'p' sets --count/.test(error.message),
    );
  });

  test('a missing preset lists the saved ones', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'vc-presets-miss-'));
    try {
      openPresetStore({configDir: dir}).save('mine', {count: 3});
      assert.throws(
        () =>
          resolvePresetFlags({
            presetName: 'nope',
            flags: {count: 1},
            explicitFlags: new Set(),
            flagSpecs: specs,
            store: {configDir: dir},
          }),
        (error: unknown) => isUserError(error) && /mine/.test(error.hint ?? ''),
      );
      const applied = resolvePresetFlags({
        presetName: 'mine',
        flags: {count: 1},
        explicitFlags: new Set(),
        flagSpecs: specs,
        store: {configDir: dir},
      });
      assert.equal(applied.flags.count, 3);
    } finally {
      await rm(dir, {recursive: true, force: true});
    }
  });
});
