/**
 * One vocabulary: every command takes --images / --embeddings (and --from for the local source), each command's
 * old spellings still parse to the same options, --help shows only the new names, and the option groups are
 * shared definitions.
 */
import assert from 'node:assert/strict';
import {describe, test} from 'node:test';
import meow, {type AnyFlags} from 'meow';
import {type Command, globalFlags} from '../../source/commands/command.js';
import {explicitFlagNames, hiddenAliases, shownFlagNames} from '../../source/commands/options/flag-names.js';
import {commandLoaders} from '../../source/commands/registry.js';
import {findUnknownFlags} from '../../source/commands/unknown-flags.js';

/** The alias table: per command, the shown name → the old spellings it still accepts. */
const ALIASES: Record<string, Record<string, string[]>> = {
  download: {from: ['input-dir'], images: ['output-dir']},
  embed: {images: ['input'], embeddings: ['output']},
  run: {from: ['input-dir'], images: ['output-dir'], embeddings: ['embeddings-dir']},
  presets: {from: ['input-dir'], images: ['output-dir'], embeddings: ['embeddings-dir']},
  validate: {embeddings: ['dir']},
  search: {embeddings: ['dir']},
  duplicates: {},
  serve: {embeddings: ['dir']},
  merge: {},
  cluster: {from: ['input-dir']},
  worker: {},
  models: {},
};

/** Which folders each command takes. */
const FOLDERS: Record<string, string[]> = {
  download: ['images', 'from'],
  embed: ['images', 'embeddings'],
  run: ['images', 'embeddings', 'from'],
  presets: ['images', 'embeddings', 'from'],
  validate: ['embeddings'],
  search: ['images', 'embeddings'],
  duplicates: ['embeddings'],
  serve: ['embeddings'],
  merge: ['embeddings'],
  cluster: ['images', 'embeddings', 'from'],
  worker: ['images', 'embeddings'],
  models: [],
};
const KEYS: Record<string, string> = {images: 'imagesDir', embeddings: 'embeddingsDir', from: 'sourceDir'};

const load = async (name: string): Promise<Command> => commandLoaders[name]!.load();
const parse = (command: Command, argv: string[]) =>
  meow(command.usage, {
    importMeta: import.meta,
    argv,
    flags: {...globalFlags, ...command.flags},
    allowUnknownFlags: false,
  }).flags as Record<string, unknown>;

describe('one vocabulary', () => {
  test('every command is in the table (a new command must declare its folders)', () => {
    assert.deepEqual(Object.keys(commandLoaders).sort(), Object.keys(ALIASES).sort());
  });

  for (const name of Object.keys(ALIASES)) {
    test(`${name}: new and old spellings give the same options; only the table's aliases exist`, async () => {
      const command = await load(name);
      assert.deepEqual(hiddenAliases(command.flags), ALIASES[name]);
      const shown = shownFlagNames(command.flags);
      for (const folder of FOLDERS[name]!) {
        assert.ok(shown.includes(folder), `${name} takes --${folder}`);
        const key = KEYS[folder]!;
        const viaNew = parse(command, [`--${folder}`, '/some/where']);
        assert.equal(viaNew[key], '/some/where');
        assert.deepEqual(explicitFlagNames([`--${folder}`, 'x'], command.flags), new Set([key]));
        for (const old of ALIASES[name]![folder] ?? []) {
          const viaOld = parse(command, [`--${old}`, '/some/where']);
          assert.equal(viaOld[key], '/some/where', `${name} --${old}`);
          assert.deepEqual(explicitFlagNames([`--${old}`, 'x'], command.flags), new Set([key]));
        }
      }
    });

    test(`${name}: --help names every flag it takes, by its new name only`, async () => {
      const command = await load(name);
      for (const flag of shownFlagNames(command.flags)) {
        const spec = (command.flags as AnyFlags)[
          Object.keys(command.flags).find(
            (key) => shownFlagNames({[key]: (command.flags as AnyFlags)[key]!})[0] === flag,
          )!
        ]!;
        const spelled = spec.type === 'boolean' && spec.default === true ? `--no-${flag}` : `--${flag}`;
        assert.match(command.usage, new RegExp(`${spelled}(?![\\w-])`), `${name} --help shows ${spelled}`);
      }
      for (const old of Object.values(ALIASES[name]!).flat())
        assert.doesNotMatch(command.usage, new RegExp(`--${old}(?![\\w-])`), `${name} --help hides --${old}`);
    });
  }

  test('an old name keeps the meaning it had in its own command', async () => {
    const embed = await load('embed');
    assert.equal(parse(embed, ['--output', 'E']).embeddingsDir, 'E');
    const run = await load('run');
    // `--output` never existed for run: it stays unknown rather than guessing a folder.
    assert.deepEqual(findUnknownFlags(['--output', 'x'], {...globalFlags, ...run.flags}), ['--output']);
  });

  test('run takes every download and embed option from the same definitions', async () => {
    const [run, download, embed, presets] = await Promise.all(
      ['run', 'download', 'embed', 'presets'].map(load),
    );
    for (const other of [download!, embed!]) {
      for (const [key, spec] of Object.entries(other.flags)) {
        if (key === 'imagesDir' || key === 'embeddingsDir') continue;
        assert.equal((run!.flags as AnyFlags)[key], spec, `run --${key} is ${other.name}'s definition`);
      }
    }
    assert.equal(presets!.flags, run!.flags);
    const flags = parse(run!, ['--min-bytes', '200', '--threads', '1', '--no-cache', '--decode', 'fast']);
    assert.equal(flags.minBytes, 200);
    assert.equal(flags.threads, 1);
    assert.equal(flags.cache, false);
    assert.equal(flags.decode, 'fast');
  });
});
