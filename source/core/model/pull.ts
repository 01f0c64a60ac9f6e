/**
 * `models pull`: fetches the files a model's dtypes need from the Hub (or HF_ENDPOINT) into a staging folder
 * beside the models, checks each against the Hub's checksum, and only then installs them. A new model appears
 * by renaming the whole staging folder into place, so `<modelsDir>/NAME` either does not exist or holds a
 * complete, verified set; dtypes added to an installed model are moved in file by file after all of them
 * passed, and the manifest is written last. Partial files stay in staging (`*.part`) for the next run to resume.
 */
import {mkdir, rename, rm} from 'node:fs/promises';
import {dirname, join} from 'node:path';
import {UserError} from '../errors.js';
import {checkOutputFolder} from '../fs/output-folder.js';
import {acquirePidLock} from '../fs/pid-lock.js';
import {createHttpClient, type HttpClient} from '../net/http.js';
import {hubEndpoint} from './hub.js';
import type {FileProgress, PullRetryPolicy} from './hub-download.js';
import {intactFiles, pathExists, removeIfEmpty, swapInto} from './install-folder.js';
import {type ManifestFile, type ModelManifest, newManifest, readManifest, writeManifest} from './manifest.js';
import type {Dtype} from './model-folder.js';
import {fetchModelFile} from './pull-file.js';
import {
  approxDownloadBytes,
  filesForDtypes,
  type ModelFileSpec,
  type ModelRef,
  resolveModelRef,
} from './registry.js';

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
  /** Injected for tests; otherwise one is created and closed here. */
  client?: HttpClient;
  retry?: Partial<PullRetryPolicy>;
  now?: () => number;
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
}

export interface PullResult {
  name: string;
  repo: string;
  dir: string;
  manifest: ModelManifest;
  downloaded: string[];
  reused: string[];
  alreadyInstalled: boolean;
}

export async function pullModel(options: PullOptions): Promise<PullResult> {
  const ref = resolveModelRef(options.model);
  await checkOutputFolder(options.modelsDir, {
    label: 'models folder',
    hint: 'pass a writable --models-dir (or VISUAL_CORTEX_MODELS), or fix its permissions',
  });
  const lockPath = join(options.modelsDir, `.pull-${ref.name.replaceAll('/', '--')}.lock`);
  const lock = await acquirePidLock(
    lockPath,
    (holder) =>
      new UserError(
        `another pull of ${ref.name} into ${options.modelsDir} is running (process ${holder.pid || 'unknown'}, started ${holder.started})`,
        `wait for it to finish, or stop it and pull again (a lock left by a crashed pull is taken over; ${lockPath})`,
      ),
  );
  try {
    return await pullUnlocked(options, ref);
  } finally {
    await lock.release();
  }
}

async function pullUnlocked(options: PullOptions, ref: ModelRef): Promise<PullResult> {
  const dtypes: Dtype[] = options.dtypes?.length ? [...new Set(options.dtypes)] : ['fp32'];
  const revision = options.revision?.trim() || 'main';
  const env = options.env ?? process.env;
  const dir = join(options.modelsDir, ref.name);
  const stagingDir = join(options.modelsDir, `.staging-${ref.name.replaceAll('/', '--')}`);
  const emit = options.onEvent ?? (() => {});

  const endpoint = hubEndpoint(env);
  const existing = await readManifest(dir);
  const dirExists = await pathExists(dir);
  if (dirExists && !existing) {
    throw new UserError(
      `${dir} exists but was not installed by 'models pull' (it has no manifest), so it is left alone`,
      `remove or rename that folder first, or pull into another --models-dir`,
    );
  }
  const extending =
    existing !== null && existing.repo === ref.repo && existing.revision === revision && !options.force;
  const keep = extending ? await intactFiles(dir, existing.files) : new Map<string, ManifestFile>();
  const specs = filesForDtypes(dtypes);
  const wanted = specs.filter(
    (spec) => !keep.has(spec.path) && !(extending && existing.absentOptional.includes(spec.path)),
  );
  emit({
    type: 'pull-start',
    name: ref.name,
    repo: ref.repo,
    revision,
    dtypes,
    dir,
    files: specs,
    approxBytes: ref.registry ? approxDownloadBytes(ref.registry, dtypes) : null,
  });
  for (const spec of specs) {
    const kept = keep.get(spec.path);
    if (kept) emit({type: 'file-done', path: spec.path, file: kept, reused: true});
  }
  if (extending && wanted.length === 0) {
    emit({type: 'installed', name: ref.name, dir, manifest: existing});
    return {
      name: ref.name,
      repo: ref.repo,
      dir,
      manifest: existing,
      downloaded: [],
      reused: [...keep.keys()],
      alreadyInstalled: true,
    };
  }

  let staged = await readManifest(stagingDir);
  const otherCommit = extending && staged !== null && staged.commit !== existing.commit;
  if (staged && (staged.repo !== ref.repo || staged.revision !== revision || options.force || otherCommit)) {
    await rm(stagingDir, {recursive: true, force: true});
    staged = null;
  }
  const state = newManifest({
    name: ref.name,
    repo: ref.repo,
    revision,
    // Every file comes from one commit: the one already installed, or the one the first answer names.
    commit: staged?.commit ?? (extending ? existing.commit : null),
    endpoint,
    dtypes,
    files: [],
    absentOptional: staged?.absentOptional ?? [],
    installedAt: new Date().toISOString(),
  });
  const stagedIntact = staged ? await intactFiles(stagingDir, staged.files) : new Map<string, ManifestFile>();
  await mkdir(stagingDir, {recursive: true});
  const client = options.client ?? createHttpClient({connections: 2, bodyIdleTimeoutMs: 60_000});
  const downloaded: string[] = [];
  try {
    for (const spec of wanted) {
      options.signal?.throwIfAborted();
      const ready = stagedIntact.get(spec.path);
      if (ready) {
        state.files.push(ready);
        emit({type: 'file-done', path: spec.path, file: ready, reused: true});
        continue;
      }
      if (state.absentOptional.includes(spec.path)) continue;
      const file = await fetchModelFile(spec, {
        ref,
        revision,
        endpoint,
        env,
        stagingDir,
        client,
        state,
        options,
        emit,
      });
      if (file) downloaded.push(file.path);
    }
  } catch (error) {
    await removeIfEmpty(stagingDir);
    throw error;
  } finally {
    if (!options.client) await client.close();
  }

  const manifest: ModelManifest = {
    ...state,
    dtypes: extending ? [...new Set([...existing.dtypes, ...dtypes])] : dtypes,
    files: [...keep.values(), ...state.files].sort((a, b) => (a.path < b.path ? -1 : 1)),
    absentOptional: [...new Set([...(extending ? existing.absentOptional : []), ...state.absentOptional])],
  };
  if (extending) {
    for (const file of state.files) {
      await mkdir(dirname(join(dir, file.path)), {recursive: true});
      await rename(join(stagingDir, file.path), join(dir, file.path));
      // A copy `models verify` found damaged is no longer needed once a good one is in place.
      await rm(join(dir, `${file.path}.corrupt`), {force: true});
    }
    await writeManifest(dir, manifest);
    await rm(stagingDir, {recursive: true, force: true});
  } else {
    await writeManifest(stagingDir, manifest);
    await swapInto(stagingDir, dir, options.modelsDir);
  }
  emit({type: 'installed', name: ref.name, dir, manifest});
  return {
    name: ref.name,
    repo: ref.repo,
    dir,
    manifest,
    downloaded,
    reused: [...keep.keys()],
    alreadyInstalled: false,
  };
}
