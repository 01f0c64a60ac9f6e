/**
 * What `models pull` takes, reports while it runs, and returns. These shapes have their own module so that the
 * commands, the progress UI and the per-file step (pull-file.ts) depend on them rather than on the pull itself.
 */
import type {HttpClient} from '../net/http.js';
import type {PullRetryPolicy} from './hub-download.js';
import type {ManifestFile, ModelManifest} from './manifest.js';
import type {Dtype} from './model-folder.js';
import type {FileProgress} from './part-file.js';
import type {ModelFileSpec} from './registry.js';

export type PullEvent =
  | {
      type: 'pull-start';
      name: string;
      repo: string;
      revision: string;
      dtypes: Dtype[];
      dir: string;
      files: ModelFileSpec[];
      /** From the registry, for models it knows; approximate. */
      approxBytes: number | null;
    }
  | {type: 'file-start'; path: string; url: string; resumeFrom: number; totalBytes: number | null}
  | ({type: 'file-progress'; path: string} & FileProgress)
  | {type: 'file-retry'; path: string; attempt: number; delayMs: number; reason: string}
  | {type: 'file-done'; path: string; file: ManifestFile; reused: boolean}
  | {type: 'file-absent'; path: string}
  | {type: 'installed'; name: string; dir: string; manifest: ModelManifest};

export interface PullOptions {
  modelsDir: string;
  /** Registry name (ViT-B-32…) or Hub repo id (owner/name). */
  model: string;
  dtypes?: readonly Dtype[];
  revision?: string;
  /** Download everything again, even files already installed. */
  force?: boolean;
  env?: NodeJS.ProcessEnv;
  signal?: AbortSignal;
  onEvent?: (event: PullEvent) => void;
  /** Injected for tests; otherwise the pull creates one and closes it. */
  client?: HttpClient;
  retry?: Partial<PullRetryPolicy>;
  now?: () => number;
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
}

export interface PullResult {
  /** Stopped by the signal: the files fetched so far stay staged and the next pull resumes from them. */
  interrupted: boolean;
  name: string;
  repo: string;
  dir: string;
  /** The installed model's manifest; null when a stop came before anything was installed. */
  manifest: ModelManifest | null;
  downloaded: string[];
  reused: string[];
  alreadyInstalled: boolean;
}
