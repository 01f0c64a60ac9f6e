/** The dashboard's services, wired to the core (models, presets, runs, validation, search), and its rendering. */
import {parseDtype, resolveModelsDir} from '../core/model/model-folder.js';
import {openPresetStore} from '../core/presets/preset-store.js';
import {listModelInstallStates} from '../core/run/model-choices.js';
import {runPipeline} from '../core/run/run-pipeline.js';
import {RUN_DEFAULTS, type RunField, type RunSetup} from '../core/run/run-setup.js';
import {probeDevices} from '../core/runtime/onnx.js';
import type {DashboardServices} from '../ui/dashboard-services.js';
import {clearOnShrink} from '../ui/terminal-size.js';
import type {CommandContext} from './command.js';
import {quitNow} from './forced-quit.js';

type DashboardContext = Pick<CommandContext<unknown>, 'io' | 'env' | 'signal' | 'flags'>;

/** Renders the dashboard until the user quits; returns the exit code. Ctrl+C is handled as input (raw mode). */
export async function openDashboard(
  context: DashboardContext,
  setup: RunSetup,
  initialScreen: 'menu' | 'setup' | 'run',
): Promise<number> {
  const [{render}, {DashboardApp}] = await Promise.all([import('ink'), import('../ui/dashboard-app.js')]);
  const {io, env} = context;
  const modelsDir = resolveModelsDir(context.flags.modelsDir, env);
  const presets = () => openPresetStore({env});
  const services: DashboardServices = {
    devices: await probeDevices(),
    listModels: () => listModelInstallStates(modelsDir),
    async pullModel(model, dtype, onEvent) {
      const {pullModel} = await import('../core/model/pull.js');
      await pullModel({modelsDir, model, dtypes: [parseDtype(dtype)], env, signal: context.signal, onEvent});
    },
    listPresets: () => presets().list(),
    savePreset: (name, values) => {
      // Like `presets save`: only what differs from the defaults, so later default changes still apply.
      const changed = Object.entries(values).filter(
        ([key, value]) => key in RUN_DEFAULTS && RUN_DEFAULTS[key as RunField] !== value,
      );
      presets().save(name, Object.fromEntries(changed));
    },
    deletePreset: (name) => {
      presets().delete(name);
    },
    startRun: (next, signal, onEvent) =>
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
    async validate(embeddingsDir, control) {
      const {validateOutputs} = await import('../core/validate/validate-outputs.js');
      return validateOutputs({embeddingsDir, modelsDir, ...control});
    },
    async openSearch(embeddingsDir) {
      const {createSearcher} = await import('../core/search/searcher.js');
      const searcher = await createSearcher({embeddingsDir, modelsDir});
      const {screenSearch, searchThumbnails} = await import('./search-thumbnails.js');
      return {
        search: screenSearch(searcher, 20),
        thumbnails: searchThumbnails(searcher, env, io.stdout.isTTY),
        close: () => searcher.close(),
        subtitle: `${searcher.count} images · ${searcher.modelName} ${searcher.dtype} · ${searcher.index}`,
      };
    },
    async openDuplicates(embeddingsDir) {
      const {duplicatesSession} = await import('../core/duplicates/session.js');
      return duplicatesSession(embeddingsDir);
    },
    async readClusterStatus() {
      // Where `cluster status` looks without --redis; without it the screen shows that error and its fix.
      const [{readClusterStatus}, {redisUrlFrom}, {DEFAULT_QUEUE}] = await Promise.all([
        import('../core/cluster/status.js'),
        import('../core/cluster/redis-url.js'),
        import('../core/cluster/queue.js'),
      ]);
      return readClusterStatus({address: redisUrlFrom(undefined, env), queue: DEFAULT_QUEUE});
    },
  };
  const stdout = io.stdout as NodeJS.WriteStream;
  const stopClearing = clearOnShrink(stdout);
  return new Promise<number>((resolve) => {
    const instance = render(
      <DashboardApp
        services={services}
        initialSetup={setup}
        initialScreen={initialScreen}
        onExit={(code) => {
          instance.unmount();
          stopClearing();
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
        stdout,
        stdin: io.stdin as NodeJS.ReadStream,
        stderr: io.stderr as NodeJS.WriteStream,
        exitOnCtrlC: false,
        patchConsole: false,
      },
    );
  });
}
