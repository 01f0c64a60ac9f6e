#!/usr/bin/env -S MALLOC_ARENA_MAX=2 MALLOC_MMAP_THRESHOLD_=1048576 node
// The shebang tunes glibc's malloc, which reads these variables only at start-up, so that the buffers decoders free
// go back to the system instead of fragmenting per-thread arenas (measured: docs/performance.md, "Memory").
// `node dist/source/cli.js` starts without the tuning; `env -S` is everywhere onnxruntime-node runs.
import meow from 'meow';
import {type Command, globalFlags, type Io} from './commands/command.js';
import {EXIT, EXIT_CODES_HELP} from './commands/exit-codes.js';
import {isQuitting, quitNow} from './commands/forced-quit.js';
import {explicitFlagNames} from './commands/options/flag-names.js';
import {reportError} from './commands/output.js';
import {commandLoaders} from './commands/registry.js';
import {unknownFlagError} from './commands/unknown-flags.js';
import {removeTrackedTempFiles} from './core/fs/temp-files.js';

const overview = `
  Usage
    $ visual-cortex                 open the dashboard (on a terminal)
    $ visual-cortex <command> [options]

  Commands
${Object.entries(commandLoaders)
  .map(([name, entry]) => `    ${name.padEnd(10)} ${entry.summary}`)
  .join('\n')}

  Global options
    --json              print a JSON report instead of text
    --models-dir DIR    where models live (default ./models, or $VISUAL_CORTEX_MODELS)
    --preset NAME       start from a saved set-up (explicit flags still win)

  Run 'visual-cortex <command> --help' for a command's options.

${EXIT_CODES_HELP}
`;

async function main(): Promise<number> {
  const io: Io = {stdout: process.stdout, stderr: process.stderr, stdin: process.stdin};
  const argv = process.argv.slice(2);
  const first = argv[0];
  const interactive = Boolean(process.stdout.isTTY && process.stdin.isTTY);
  let name = first !== undefined && !first.startsWith('-') ? first : undefined;
  // Options alone (e.g. --preset NAME, --count 50) pre-fill the dashboard; --help and --version print text.
  if (name === undefined && interactive && !argv.some((arg) => /^--(help|version|json)$/.test(arg)))
    name = 'dashboard';
  const rest = name !== undefined && name !== 'dashboard' ? argv.slice(1) : argv;

  let command: Command;
  if (name === 'dashboard') {
    command = (await import('./commands/dashboard.js')).dashboardCommand as unknown as Command;
  } else if (name !== undefined && commandLoaders[name] !== undefined) {
    command = await commandLoaders[name]!.load();
  } else {
    meow(overview, {importMeta: import.meta, argv, flags: globalFlags});
    if (name !== undefined) {
      io.stderr.write(
        `error: unknown command '${name}'\n  fix: run 'visual-cortex --help' to list commands\n`,
      );
      return EXIT.usage;
    }
    io.stdout.write(overview);
    return EXIT.done;
  }

  // Before meow, whose own refusal names the flag but not the one meant nor where to look.
  const helpCommand = name === 'dashboard' ? 'visual-cortex run' : `visual-cortex ${name}`;
  const unknownFlag = unknownFlagError(rest, {...globalFlags, ...command.flags}, helpCommand);
  if (unknownFlag) return reportError(io, unknownFlag, rest.includes('--json'));

  const cli = meow(command.usage, {
    importMeta: import.meta,
    argv: rest,
    flags: {...globalFlags, ...command.flags},
    allowUnknownFlags: false,
  });

  const controller = new AbortController();
  let interrupts = 0;
  const onSignal = (signal: 'SIGINT' | 'SIGTERM') => {
    interrupts++;
    // The dashboard's forced quit restores the terminal first, so its next Ctrl+C arrives here as a signal.
    if (interrupts === 1 && !isQuitting()) {
      io.stderr.write('\nstopping… (press Ctrl+C again to quit at once)\n');
      controller.abort();
    } else quitNow(signal, {stderr: io.stderr});
  };
  // Any other way out (process.exit on a bug) takes the temp files being written with it too.
  process.once('exit', removeTrackedTempFiles);
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    const explicitFlags = explicitFlagNames(rest, {...globalFlags, ...command.flags});
    let flags: Record<string, unknown> = cli.flags;
    if (typeof flags.preset === 'string') {
      const {resolvePresetFlags} = await import('./core/presets/apply-preset.js');
      const flagSpecs = {...globalFlags, ...command.flags} as never;
      flags = resolvePresetFlags({presetName: flags.preset, flags, explicitFlags, flagSpecs}).flags;
    }
    return await command.run({
      input: cli.input,
      flags: flags as never,
      io,
      signal: controller.signal,
      env: process.env,
      explicitFlags,
    });
  } catch (error) {
    return reportError(io, error, Boolean(cli.flags.json));
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

process.exitCode = await main();
