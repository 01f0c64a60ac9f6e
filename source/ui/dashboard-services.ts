/**
 * What the dashboard is handed by the command layer, and how a failed service call becomes a line on screen.
 * The contract lives apart from the app so that the app reads as routing only, and so that a test's fake
 * services depend on the contract rather than on the component.
 */
import type {ClusterStatus} from '../core/cluster/status.js';
import type {DuplicatesSession} from '../core/duplicates/session.js';
import type {PullEvent} from '../core/model/pull-types.js';
import type {Preset} from '../core/presets/preset-store.js';
import type {RunEvent, RunReport} from '../core/run/run-pipeline.js';
import type {RunSetup} from '../core/run/run-setup.js';
import type {DeviceAvailability} from '../core/runtime/onnx.js';
import type {ValidationEvent, ValidationReport} from '../core/validate/types.js';
import type {OpenedSearch} from './screen-frames.js';
import type {ModelChoice} from './setup-form.js';

export interface DashboardServices {
  devices: readonly DeviceAvailability[];
  listModels(): Promise<ModelChoice[]>;
  pullModel(model: string, dtype: string, onEvent: (event: PullEvent) => void): Promise<void>;
  /** Throws a UserError when the presets file cannot be read. */
  listPresets(): Preset[];
  savePreset(name: string, setup: RunSetup): void;
  deletePreset(name: string): void;
  startRun(setup: RunSetup, signal: AbortSignal, onEvent: (event: RunEvent) => void): Promise<RunReport>;
  /** The core's validation of an embeddings folder; the menu leaves it out when absent. */
  validate?: (
    embeddingsDir: string,
    control: {signal: AbortSignal; onEvent: (event: ValidationEvent) => void},
  ) => Promise<ValidationReport>;
  /** Opens a searcher over an embeddings folder (loads the text model); the menu leaves it out when absent. */
  openSearch?: (embeddingsDir: string) => Promise<OpenedSearch>;
  /** Opens the duplicates engine over an embeddings folder; the menu leaves the screen out when absent. */
  openDuplicates?: (embeddingsDir: string) => Promise<DuplicatesSession>;
  /** Reads the cluster's queue (as `cluster status`); the menu leaves the screen out when absent. */
  readClusterStatus?: () => Promise<ClusterStatus>;
}

export function describeError(error: unknown): string {
  const hint = (error as {hint?: string}).hint;
  const message = error instanceof Error ? error.message : String(error);
  return hint ? `${message} (fix: ${hint})` : message;
}

export function readPresets(services: DashboardServices): Preset[] | {error: string} {
  try {
    return services.listPresets();
  } catch (error) {
    return {error: `presets unavailable: ${describeError(error)}`};
  }
}
