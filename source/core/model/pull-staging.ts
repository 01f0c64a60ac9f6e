/**
 * The staging folder of one pull, before and after its downloads. What an earlier, interrupted run left there is
 * resumed only when it is for the same files (same repo and revision, the commit already installed, no --force),
 * since every installed file must come from one commit. Once all files passed, they leave staging in the order
 * pull.ts's header gives: a new model in one rename, added dtypes file by file with the manifest last.
 */
import {mkdir, rename, rm} from 'node:fs/promises';
import {dirname, join} from 'node:path';
import {intactFiles, swapInto} from './install-folder.js';
import {type ManifestFile, type ModelManifest, newManifest, readManifest, writeManifest} from './manifest.js';
import type {Dtype} from './model-folder.js';
import type {ModelRef} from './registry.js';

/** What one pull installs, and where. */
export interface PullTarget {
  ref: ModelRef;
  revision: string;
  dtypes: Dtype[];
  modelsDir: string;
  /** `<modelsDir>/NAME`. */
  dir: string;
  stagingDir: string;
  /** The installed manifest when this pull adds dtypes to it; null when the pull installs a whole new set. */
  extending: ModelManifest | null;
}

export interface Staging {
  /** The staging manifest this run records its files in (written after each one, so a later run can reuse them). */
  state: ModelManifest;
  /** Files an earlier run left complete in staging, by path. */
  intact: Map<string, ManifestFile>;
}

/** Creates the staging folder, or resumes it when an earlier run left one for the same files. */
export async function prepareStaging(
  target: PullTarget,
  endpoint: string,
  force: boolean | undefined,
): Promise<Staging> {
  const {ref, revision, dtypes, stagingDir, extending} = target;
  let staged = await readManifest(stagingDir);
  const otherCommit = extending !== null && staged !== null && staged.commit !== extending.commit;
  if (staged && (staged.repo !== ref.repo || staged.revision !== revision || force || otherCommit)) {
    await rm(stagingDir, {recursive: true, force: true});
    staged = null;
  }
  const state = newManifest({
    name: ref.name,
    repo: ref.repo,
    revision,
    // Every file comes from one commit: the one already installed, or the one the first answer names.
    commit: staged?.commit ?? (extending !== null ? extending.commit : null),
    endpoint,
    dtypes,
    files: [],
    absentOptional: staged?.absentOptional ?? [],
    installedAt: new Date().toISOString(),
  });
  const intact = staged ? await intactFiles(stagingDir, staged.files) : new Map<string, ManifestFile>();
  await mkdir(stagingDir, {recursive: true});
  return {state, intact};
}

/**
 * Installs every file staged by this run, beside the installed files kept (`keep`), and returns the manifest
 * written. Called only once all of them passed their checksums.
 */
export async function installStaged(
  target: PullTarget,
  state: ModelManifest,
  keep: ReadonlyMap<string, ManifestFile>,
): Promise<ModelManifest> {
  const {dtypes, modelsDir, dir, stagingDir, extending} = target;
  const manifest: ModelManifest = {
    ...state,
    dtypes: extending ? [...new Set([...extending.dtypes, ...dtypes])] : dtypes,
    files: [...keep.values(), ...state.files].sort((a, b) => (a.path < b.path ? -1 : 1)),
    absentOptional: [...new Set([...(extending ? extending.absentOptional : []), ...state.absentOptional])],
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
    await swapInto(stagingDir, dir, modelsDir);
  }
  return manifest;
}
