/**
 * `models pull`: fetches the files a model's dtypes need from the Hub (or HF_ENDPOINT) into a staging folder
 * beside the models, checks each against the Hub's checksum, and only then installs them. A new model appears
 * by renaming the whole staging folder into place, so `<modelsDir>/NAME` either does not exist or holds a
 * complete, verified set; dtypes added to an installed model are moved in file by file after all of them
 * passed, and the manifest is written last. Partial files stay in staging (`*.part`) for the next run to resume.
 * When staging is resumed and how its files are installed is in pull-staging.ts.
 */
import {join} from 'node:path';
import {UserError} from '../errors.js';
import {checkOutputFolder} from '../fs/output-folder.js';
import {acquirePidLock} from '../fs/pid-lock.js';
import {createHttpClient} from '../net/http.js';
import {hubEndpoint} from './hub.js';
import {intactFiles, pathExists, removeIfEmpty} from './install-folder.js';
import {type ManifestFile, readManifest} from './manifest.js';
import type {Dtype} from './model-folder.js';
import {fetchModelFile} from './pull-file.js';
import {installStaged, type PullTarget, prepareStaging} from './pull-staging.js';
import type {PullOptions, PullResult} from './pull-types.js';
import {approxDownloadBytes, filesForDtypes, type ModelRef, resolveModelRef} from './registry.js';

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
      interrupted: false,
      name: ref.name,
      repo: ref.repo,
      dir,
      manifest: existing,
      downloaded: [],
      reused: [...keep.keys()],
      alreadyInstalled: true,
    };
  }

  const target: PullTarget = {
    ref,
    revision,
    dtypes,
    modelsDir: options.modelsDir,
    dir,
    stagingDir,
    extending: extending ? existing : null,
  };
  const {state, intact: stagedIntact} = await prepareStaging(target, endpoint, options.force);
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
    // A graceful stop is a report, not an error: the staged files make the next pull resume.
    if (!options.signal?.aborted) throw error;
    return {
      interrupted: true,
      name: ref.name,
      repo: ref.repo,
      dir,
      manifest: existing,
      downloaded,
      reused: [...keep.keys()],
      alreadyInstalled: false,
    };
  } finally {
    if (!options.client) await client.close();
  }

  const manifest = await installStaged(target, state, keep);
  emit({type: 'installed', name: ref.name, dir, manifest});
  return {
    interrupted: false,
    name: ref.name,
    repo: ref.repo,
    dir,
    manifest,
    downloaded,
    reused: [...keep.keys()],
    alreadyInstalled: false,
  };
}
