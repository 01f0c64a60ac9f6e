/**
 * What is in the models directory: installed models (by `models pull`, or placed by hand), their dtypes, sizes
 * and verification state, interrupted pulls; and `models remove`.
 */
import {readdir, rm, stat} from 'node:fs/promises';
import {join} from 'node:path';
import {UserError} from '../errors.js';
import {type ChecksumSource, MANIFEST_FILE, type ModelManifest, readManifest} from './manifest.js';
import {DTYPES, type Dtype, modelFileFor} from './model-folder.js';
import {installedName} from './registry.js';

/**
 * 'hub-checksums': every file matched the Hub's checksum when pulled; 'local-checksums': some files had no Hub
 * checksum (recorded locally only); 'failed': the last `verify` found damage; 'unverified': no manifest.
 */
export type VerificationState = 'hub-checksums' | 'local-checksums' | 'failed' | 'unverified';

export interface InstalledModel {
  name: string;
  dir: string;
  repo: string | null;
  revision: string | null;
  commit: string | null;
  /** Dtypes whose vision and text graphs are both present. */
  dtypes: Dtype[];
  /** Dtypes with only the vision graph (image embedding works, text search does not). */
  visionOnlyDtypes: Dtype[];
  bytes: number;
  verification: VerificationState;
  lastVerify: ModelManifest['lastVerify'] | null;
}

export interface ModelsInventory {
  modelsDir: string;
  installed: InstalledModel[];
  /** Names with an interrupted pull waiting in staging (`models pull` resumes it). */
  interrupted: string[];
}

export async function listInstalledModels(modelsDir: string): Promise<ModelsInventory> {
  const inventory: ModelsInventory = {modelsDir, installed: [], interrupted: []};
  for (const entry of await directories(modelsDir)) {
    if (entry.startsWith('.staging-')) inventory.interrupted.push(entry.slice(9).replaceAll('--', '/'));
    if (entry.startsWith('.')) continue;
    const dir = join(modelsDir, entry);
    if (await looksLikeModel(dir)) inventory.installed.push(await describe(entry, dir));
    else {
      // Hub ids install as owner/name.
      for (const inner of await directories(dir)) {
        const innerDir = join(dir, inner);
        if (!inner.startsWith('.') && (await looksLikeModel(innerDir))) {
          inventory.installed.push(await describe(`${entry}/${inner}`, innerDir));
        }
      }
    }
  }
  inventory.installed.sort((a, b) => a.name.localeCompare(b.name));
  return inventory;
}

async function describe(name: string, dir: string): Promise<InstalledModel> {
  const manifest = await readManifest(dir);
  const dtypes: Dtype[] = [];
  const visionOnlyDtypes: Dtype[] = [];
  for (const dtype of DTYPES) {
    const vision = await isFile(join(dir, modelFileFor('vision', dtype)));
    const text = await isFile(join(dir, modelFileFor('text', dtype)));
    if (vision && text) dtypes.push(dtype);
    else if (vision) visionOnlyDtypes.push(dtype);
  }
  return {
    name,
    dir,
    repo: manifest?.repo ?? null,
    revision: manifest?.revision ?? null,
    commit: manifest?.commit ?? null,
    dtypes,
    visionOnlyDtypes,
    bytes: await folderBytes(dir),
    verification: verificationOf(manifest),
    lastVerify: manifest?.lastVerify ?? null,
  };
}

function verificationOf(manifest: ModelManifest | null): VerificationState {
  if (!manifest) return 'unverified';
  if (manifest.lastVerify && !manifest.lastVerify.ok) return 'failed';
  const sources = new Set<ChecksumSource>(manifest.files.map((file) => file.checkedAgainst));
  return sources.has('none') ? 'local-checksums' : 'hub-checksums';
}

export interface RemovedModel {
  name: string;
  dir: string;
  bytes: number;
}

export async function removeModel(modelsDir: string, model: string): Promise<RemovedModel> {
  const name = installedName(model);
  const dir = join(modelsDir, name);
  const staging = join(modelsDir, `.staging-${name.replaceAll('/', '--')}`);
  const hadStaging = await isDirectory(staging);
  await rm(staging, {recursive: true, force: true});
  if (!(await isDirectory(dir))) {
    if (hadStaging) return {name, dir, bytes: 0};
    throw new UserError(
      `model '${name}' is not installed (no folder ${dir})`,
      `run 'visual-cortex models list' to see what is installed${modelsDir ? ` in ${modelsDir}` : ''}`,
    );
  }
  if (!(await looksLikeModel(dir))) {
    throw new UserError(
      `${dir} does not look like a model folder (no ${MANIFEST_FILE}, preprocessor_config.json or onnx/), so it is left alone`,
      'remove it by hand if it really should go',
    );
  }
  const bytes = await folderBytes(dir);
  await rm(dir, {recursive: true, force: true});
  return {name, dir, bytes};
}

async function looksLikeModel(dir: string): Promise<boolean> {
  return (
    (await isFile(join(dir, MANIFEST_FILE))) ||
    (await isFile(join(dir, 'preprocessor_config.json'))) ||
    (await isDirectory(join(dir, 'onnx')))
  );
}

async function directories(dir: string): Promise<string[]> {
  try {
    const entries = await readdir(dir, {withFileTypes: true});
    return entries.filter((entry) => entry.isDirectory()).map((entry) => entry.name);
  } catch {
    return [];
  }
}

async function folderBytes(dir: string): Promise<number> {
  let total = 0;
  for (const entry of await readdir(dir, {withFileTypes: true, recursive: true})) {
    if (entry.isFile()) total += (await stat(join(entry.parentPath, entry.name))).size;
  }
  return total;
}

async function isFile(path: string): Promise<boolean> {
  return stat(path).then(
    (stats) => stats.isFile(),
    () => false,
  );
}

async function isDirectory(path: string): Promise<boolean> {
  return stat(path).then(
    (stats) => stats.isDirectory(),
    () => false,
  );
}
