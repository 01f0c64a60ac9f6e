import {UserError} from '../core/errors.js';
import {parseDtype, resolveModelsDir} from '../core/model/model-folder.js';
import {openPresetStore} from '../core/presets/preset-store.js';
import {listModelInstallStates} from '../core/run/model-choices.js';
import {runPipeline} from '../core/run/run-pipeline.js';
import {RUN_DEFAULTS, type RunField, type RunSetup} from '../core/run/run-setup.js';
import {deviceAvailability} from '../core/runtime/onnx.js';
import {reducePull, startPull} from '../ui/pull-progress.js';
import type {PullView} from '../ui/setup-screen.js';
import type {CommandContext} from './command.js';
import {defineCommand} from './command.js';
import {quitNow} from './forced-quit.js';
import {isInteractive, runFlags, runFlagsHelp, runSetupFromRunFlags} from './run.js';

type DashboardContext = Pick<CommandContext<unknown>, 'io' | 'env' | 'signal' | 'flags'>;

export const dashboardCommand = defineCommand({
  name: 'dashboard',
  summary: 'the interactive dashboard',
  usage: `
  Usage
    $ visual-cortex [options]

  Opens the dashboard (needs a terminal): set up a run, watch it live, validate and search the outputs.
  The options pre-fill the set-up screen; --preset NAME loads a saved set-up.

  Options${runFlagsHelp}
`,
  flags: runFlags,
  async run(context) {
    if (!isInteractive(context.io, false))
      throw new UserError(
        'the dashboard needs an interactive terminal',
        "use 'visual-cortex run' in scripts and pipes",
      );
    return openDashboard(context, runSetupFromRunFlags(context.flags, false), 'menu');
  },
});

/** Renders the dashboard until the user quits; returns the exit code. Ctrl+C is handled as input (raw mode). */
export async function openDashboard(
  context: DashboardContext,
  setup: RunSetup,
  initialScreen: 'menu' | 'setup' | 'run',
): Promise<number> {
  const [{render}, {DashboardApp}, {BackFrame, SearchFrame}, {ValidationScreen}] = await Promise.all([
    import('ink'),
    import('../ui/dashboard-app.js'),
    import('../ui/screen-frames.js'),
    import('../ui/validation-screen.js'),
  ]);
  const {io, env} = context;
  const modelsDir = resolveModelsDir(context.flags.modelsDir, env);
  const presets = () => openPresetStore({env});
  const services = {
    devices: deviceAvailability(),
    listModels: () => listModelInstallStates(modelsDir),
    async pullModel(model: string, dtype: string, onProgress: (pull: PullView) => void) {
      const {pullModel} = await import('../core/model/pull.js');
      let tracker = startPull(model, dtype);
      await pullModel({
        modelsDir,
        model,
        dtypes: [parseDtype(dtype)],
        env,
        signal: context.signal,
        onEvent: (event) => {
          tracker = reducePull(tracker, event);
          onProgress(tracker.view);
        },
      });
    },
    listPresets: () => presets().list(),
    savePreset: (name: string, values: RunSetup) => {
      // Like `presets save`: only what differs from the defaults, so later default changes still apply.
      const changed = Object.entries(values).filter(
        ([key, value]) => key in RUN_DEFAULTS && RUN_DEFAULTS[key as RunField] !== value,
      );
      presets().save(name, Object.fromEntries(changed));
    },
    deletePreset: (name: string) => {
      presets().delete(name);
    },
    startRun: (next: RunSetup, signal: AbortSignal, onEvent: Parameters<typeof runPipeline>[0]['onEvent']) =>
      // The options beyond the form's (--min-bytes, --threads, ...) come from the command line.
      runPipeline({
        download: setup.download,
        embed: setup.embed,
        ...next,
        signal: AbortSignal.any([signal, context.signal]),
        env,
        modelsDir: context.flags.modelsDir,
        onEvent,
      }),
    renderValidation: ({embeddingsDir, onBack}: {embeddingsDir: string; onBack: () => void}) => (
      <BackFrame onBack={onBack}>
        <ValidationScreen
          run={async (control) => {
            const {validateOutputs} = await import('../core/validate/validate-outputs.js');
            return validateOutputs({dir: embeddingsDir, modelsDir, ...control});
          }}
        />
      </BackFrame>
    ),
    renderSearch: ({embeddingsDir, onBack}: {embeddingsDir: string; onBack: () => void}) => (
      <SearchFrame
        onBack={onBack}
        open={async () => {
          const {createSearcher} = await import('../core/search/searcher.js');
          const searcher = await createSearcher({dir: embeddingsDir, modelsDir});
          return {
            search: (query: string) => searcher.search(query, 20),
            close: () => searcher.close(),
            subtitle: `${searcher.count} images · ${searcher.modelName} ${searcher.dtype} · ${searcher.index}`,
          };
        }}
      />
    ),
  };
  return new Promise<number>((resolve) => {
    const instance = render(
      <DashboardApp
        services={services}
        initialSetup={setup}
        initialScreen={initialScreen}
        onExit={(code) => {
          instance.unmount();
          instance.waitUntilExit().then(
            () => resolve(code),
            () => resolve(code),
          );
        }}
        onForceExit={() => {
          // Unmounting restores the terminal (raw mode off, cursor shown) before the forced quit.
          quitNow('SIGINT', {stderr: io.stderr, restoreTerminal: () => instance.unmount()});
        }}
      />,
      {
        stdout: io.stdout as NodeJS.WriteStream,
        stdin: io.stdin as NodeJS.ReadStream,
        stderr: io.stderr as NodeJS.WriteStream,
        exitOnCtrlC: false,
        patchConsole: false,
      },
    );
  });
}
