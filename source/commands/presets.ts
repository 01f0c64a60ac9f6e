import type {AnyFlags} from 'meow';
import {UserError} from '../core/errors.js';
import {kebab, presetValuesFromFlags} from '../core/presets/apply-preset.js';
import {openPresetStore} from '../core/presets/preset-store.js';
import {defineCommand} from './command.js';
import {EXIT} from './exit-codes.js';
import {printJson, printLine} from './output.js';
import {runFlags, runFlagsHelp} from './run.js';

export const presetsCommand = defineCommand({
  name: 'presets',
  summary: 'list, show, save and delete saved set-ups',
  usage: `
  Usage
    $ visual-cortex presets list
    $ visual-cortex presets show NAME
    $ visual-cortex presets save NAME [run options]
    $ visual-cortex presets delete NAME

  A preset stores the run options you typed (and those that differ from the defaults). Use it with
  --preset NAME on any command; options typed on the command line still win.
  Presets live in the OS config directory (or $VISUAL_CORTEX_CONFIG_DIR).

  Options for save${runFlagsHelp}

  Examples
    $ visual-cortex presets save small --count 20 --width 640 --height 480
    $ visual-cortex run --preset small --workers 2
`,
  flags: runFlags,
  async run({input, flags, io, explicitFlags, env}) {
    const [action, name, ...extra] = input;
    const store = openPresetStore({env});
    const needName = (): string => {
      if (!name)
        throw new UserError(
          `'presets ${action}' needs a preset name`,
          `visual-cortex presets ${action} NAME`,
        );
      if (extra.length > 0)
        throw new UserError(`unexpected arguments: ${extra.join(' ')}`, 'give one preset name');
      return name;
    };
    switch (action) {
      case undefined:
      case 'list': {
        const presets = store.list();
        if (flags.json) printJson(io, {configFile: store.path, presets});
        else if (presets.length === 0) printLine(io, `no presets saved (${store.path})`);
        else
          for (const preset of presets) printLine(io, `${preset.name.padEnd(20)} ${describe(preset.values)}`);
        return EXIT.done;
      }
      case 'show': {
        const preset = store.get(needName());
        if (!preset) throw new UserError(`no preset named '${name}'`, 'visual-cortex presets list');
        if (flags.json) printJson(io, preset);
        else {
          printLine(io, `${preset.name} (saved ${preset.savedAt})`);
          for (const [key, value] of Object.entries(preset.values))
            printLine(io, `  --${kebab(key)} ${value}`);
        }
        return EXIT.done;
      }
      case 'save': {
        const presetName = needName();
        const all = presetValuesFromFlags(flags, runFlags);
        const values = Object.fromEntries(
          Object.entries(all).filter(
            ([key, value]) => explicitFlags.has(key) || (runFlags as AnyFlags)[key]?.default !== value,
          ),
        );
        const preset = store.save(presetName, values);
        if (flags.json) printJson(io, preset);
        else printLine(io, `saved preset '${preset.name}': ${describe(preset.values) || '(defaults)'}`);
        return EXIT.done;
      }
      case 'delete': {
        const presetName = needName();
        if (!store.delete(presetName))
          throw new UserError(`no preset named '${presetName}'`, 'visual-cortex presets list');
        if (flags.json) printJson(io, {deleted: presetName});
        else printLine(io, `deleted preset '${presetName}'`);
        return EXIT.done;
      }
      default:
        throw new UserError(`unknown presets action '${action}'`, 'use list, show, save or delete');
    }
  },
});

function describe(values: Record<string, unknown>): string {
  return Object.entries(values)
    .map(([key, value]) => `--${kebab(key)} ${value}`)
    .join(' ');
}
