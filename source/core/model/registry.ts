/**
 * The models users can name, the way the original tool named them, and the Hub files each dtype needs.
 * Any other Hub repo in the transformers.js CLIP layout is accepted by its `owner/name` id.
 */
import {UserError} from '../errors.js';
import {DTYPES, type Dtype, modelFileFor} from './dtype.js';

export interface RegistryModel {
  name: string;
  repo: string;
  /** Other spellings users type (the OpenAI CLIP names use a slash). */
  aliases: readonly string[];
  embeddingDim: number;
  /** Approximate download sizes in bytes of the vision and text graphs per dtype (the Hub's may differ a little). */
  approxBytes: Readonly<Record<Dtype, {vision: number; text: number}>>;
}

const MB = 1_000_000;

export const MODEL_REGISTRY: readonly RegistryModel[] = [
  {
    name: 'ViT-B-32',
    repo: 'Xenova/clip-vit-base-patch32',
    aliases: ['ViT-B/32'],
    embeddingDim: 512,
    approxBytes: {
      fp32: {vision: 352 * MB, text: 254 * MB},
      q8: {vision: 89 * MB, text: 65 * MB},
      fp16: {vision: 176 * MB, text: 127 * MB},
    },
  },
  {
    name: 'ViT-B-16',
    repo: 'Xenova/clip-vit-base-patch16',
    aliases: ['ViT-B/16'],
    embeddingDim: 512,
    approxBytes: {
      fp32: {vision: 345 * MB, text: 254 * MB},
      q8: {vision: 88 * MB, text: 65 * MB},
      fp16: {vision: 173 * MB, text: 127 * MB},
    },
  },
  {
    name: 'ViT-L-14',
    repo: 'Xenova/clip-vit-large-patch14',
    aliases: ['ViT-L/14'],
    embeddingDim: 768,
    approxBytes: {
      fp32: {vision: 1216 * MB, text: 494 * MB},
      q8: {vision: 306 * MB, text: 125 * MB},
      fp16: {vision: 608 * MB, text: 247 * MB},
    },
  },
];

/** What `models pull NAME` fetches, and where it lands under the models directory. */
export interface ModelRef {
  /** The folder name under the models directory: the registry name, or the Hub repo id. */
  name: string;
  repo: string;
  registry?: RegistryModel;
}

const REPO_ID = /^[A-Za-z0-9][A-Za-z0-9._-]*\/[A-Za-z0-9][A-Za-z0-9._-]*$/;

export function findRegistryModel(nameOrAlias: string): RegistryModel | undefined {
  const wanted = nameOrAlias.toLowerCase();
  return MODEL_REGISTRY.find(
    (model) =>
      model.name.toLowerCase() === wanted ||
      model.repo.toLowerCase() === wanted ||
      model.aliases.some((alias) => alias.toLowerCase() === wanted),
  );
}

export function isRepoId(value: string): boolean {
  return REPO_ID.test(value) && !value.split('/').some((part) => part === '.' || part === '..');
}

/**
 * A registry name (or alias) maps to its repo and installs under the registry name; a Hub repo id installs
 * under `owner/name`. Naming a registry repo by its id still installs under the short name, so the two never
 * become two copies.
 */
export function resolveModelRef(nameOrRepo: string): ModelRef {
  const known = findRegistryModel(nameOrRepo.trim());
  if (known) return {name: known.name, repo: known.repo, registry: known};
  const repo = nameOrRepo.trim();
  if (isRepoId(repo)) return {name: repo, repo};
  throw new UserError(
    `'${nameOrRepo}' is neither a known model (${MODEL_REGISTRY.map((model) => model.name).join(', ')}) nor a Hugging Face repo id (owner/name)`,
    "run 'visual-cortex models list' to see the known models, or give a repo id such as Xenova/clip-vit-base-patch32",
  );
}

const PLAIN_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

/**
 * The folder name under the models directory that a name refers to: like `resolveModelRef`, and also plain
 * names of folders placed by hand. Never a path that leaves the models directory.
 */
export function installedName(nameOrRepo: string): string {
  const trimmed = nameOrRepo.trim();
  if (PLAIN_NAME.test(trimmed) && !findRegistryModel(trimmed) && trimmed !== '.' && trimmed !== '..')
    return trimmed;
  return resolveModelRef(trimmed).name;
}

export interface ModelFileSpec {
  /** Path inside the repo and inside the installed model folder. */
  path: string;
  /** Optional files are skipped when the repo does not have them (404). */
  required: boolean;
  /** Which dtype needs it; undefined for the shared configuration files. */
  dtype?: Dtype;
}

const SHARED_FILES: readonly ModelFileSpec[] = [
  {path: 'config.json', required: true},
  {path: 'preprocessor_config.json', required: true},
  {path: 'tokenizer.json', required: true},
  {path: 'tokenizer_config.json', required: false},
  {path: 'special_tokens_map.json', required: false},
];

/** The files a set of dtypes needs: shared configuration first (small, fail fast), then the graphs. */
export function filesForDtypes(dtypes: readonly Dtype[]): ModelFileSpec[] {
  const graphs = DTYPES.filter((dtype) => dtypes.includes(dtype)).flatMap((dtype) => [
    {path: modelFileFor('vision', dtype), required: true, dtype},
    {path: modelFileFor('text', dtype), required: true, dtype},
  ]);
  return [...SHARED_FILES, ...graphs];
}

/** Approximate bytes of the graphs for the given dtypes; undefined for models outside the registry. */
export function approxDownloadBytes(model: RegistryModel, dtypes: readonly Dtype[]): number {
  return dtypes.reduce(
    (sum, dtype) => sum + model.approxBytes[dtype].vision + model.approxBytes[dtype].text,
    0,
  );
}
