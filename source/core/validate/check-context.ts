/**
 * What the checks share: the outputs read by check 1, the model resolved by check 2, and one embedder (started
 * on first use, closed by the orchestrator) for the checks that run images through the real pipeline.
 */
import type {Embedder} from '../embed/embedder.js';
import type {Dtype, ModelFolder} from '../model/model-folder.js';
import type {NpyArray} from '../npy.js';
import type {CheckDetail, CheckStatus} from './types.js';

export interface LoadedOutputs {
  paths: {embeddings: string; filenames: string; metadata: string};
  embeddings: NpyArray;
  rows: number;
  columns: number;
  filenames: string[];
  /** metadata.json as parsed: a JSON object, not yet checked against the schema (check 4 does that). */
  metadata: Record<string, unknown>;
}

export interface ResolvedModel {
  folder: ModelFolder;
  dtype: Dtype;
  /** Output width of the vision graph, when known. */
  dims: number | undefined;
  /** The graph's inputs and outputs are what the pipeline feeds and reads. */
  ioMatches: boolean;
}

export interface CheckContext {
  dir: string;
  modelsDir: string;
  modelOverride: string | undefined;
  sample: number;
  random: () => number;
  signal: AbortSignal;
  outputs?: LoadedOutputs;
  model?: ResolvedModel;
  /** The shared embedder for `model`; rejects when it cannot start. */
  embedder(): Promise<Embedder>;
}

/** A check: reports progress lines while it works and returns its findings. */
export type CheckRun = (context: CheckContext, progress: (message: string) => void) => Promise<CheckBody>;

export interface CheckBody {
  status: CheckStatus;
  summary: string;
  details: CheckDetail[];
}

/** Collects a check's findings; the status follows from them (any fail: failed; else any skip: skipped). */
export class Findings {
  readonly details: CheckDetail[] = [];

  ok(message: string): void {
    this.details.push({kind: 'ok', message});
  }

  fail(message: string): void {
    this.details.push({kind: 'fail', message});
  }

  note(message: string): void {
    this.details.push({kind: 'note', message});
  }

  skip(message: string): void {
    this.details.push({kind: 'skip', message});
  }

  get failed(): boolean {
    return this.details.some((detail) => detail.kind === 'fail');
  }

  /** The body, with `passSummary` as the summary when nothing failed or was skipped. */
  finish(passSummary: string): CheckBody {
    const fail = this.details.find((detail) => detail.kind === 'fail');
    if (fail) {
      const more = this.details.filter((detail) => detail.kind === 'fail').length - 1;
      return {
        status: 'failed',
        summary: more > 0 ? `${fail.message} (and ${more} more)` : fail.message,
        details: this.details,
      };
    }
    const skip = this.details.find((detail) => detail.kind === 'skip');
    if (skip) return {status: 'skipped', summary: skip.message, details: this.details};
    return {status: 'passed', summary: passSummary, details: this.details};
  }
}

/** Lists at most `limit` items, saying how many more there are. */
export function listSome(items: readonly string[], limit = 3): string {
  const shown = items.slice(0, limit).join(', ');
  return items.length > limit ? `${shown} and ${items.length - limit} more` : shown;
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
