/**
 * manifest.json: the collection's header, its committed shards in order, tombstones, the latest run's failures
 * and a record of that run. Rewritten whole and atomically (temp, fsync, rename) by the lock holder only.
 */
import {readFile} from 'node:fs/promises';
import {UserError} from '../errors.js';
import {writeFileAtomic} from '../fs/atomic-write.js';
import {isShardId, manifestPath} from './layout.js';
import {COLLECTION_FORMAT, type CollectionHeader, type Manifest, type ModelFacts} from './types.js';

export class CollectionFormatError extends UserError {}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The manifest, or null when the folder has none (not a collection, or one not yet begun). */
export async function readManifest(embeddingsDir: string): Promise<Manifest | null> {
  const path = manifestPath(embeddingsDir);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw unreadable(path, (error as Error).message);
  }
  return checkManifest(parsed, path);
}

function unreadable(path: string, why: string): CollectionFormatError {
  return new CollectionFormatError(
    `the collection manifest ${path} is unreadable: ${why}`,
    'restore it from a backup, or start the collection over with `embed --replace`',
  );
}

/** Checks the shape the readers rely on; anything else in the file is kept as is. */
export function checkManifest(value: unknown, path: string): Manifest {
  if (!isRecord(value)) throw unreadable(path, 'not a JSON object');
  if (value.format !== COLLECTION_FORMAT)
    throw new CollectionFormatError(
      `the collection in ${path} has format ${String(value.format)}; this version reads format ${COLLECTION_FORMAT}`,
      'use the visual-cortex version that made it, or start the collection over with `embed --replace`',
    );
  const header = value.header;
  if (!isRecord(header) || !isRecord(header.model) || typeof header.embedding_dim !== 'number')
    throw unreadable(path, 'no header with the model and embedding_dim');
  if (!Array.isArray(value.shards)) throw unreadable(path, 'no "shards" list');
  for (const shard of value.shards) {
    const good =
      isRecord(shard) &&
      typeof shard.id === 'string' &&
      isShardId(shard.id) &&
      Number.isInteger(shard.rows) &&
      isRecord(shard.files);
    if (!good) throw unreadable(path, `a shard entry is malformed: ${JSON.stringify(shard)?.slice(0, 80)}`);
  }
  if (!Array.isArray(value.tombstones)) throw unreadable(path, 'no "tombstones" list');
  return {
    ...(value as unknown as Manifest),
    failures: Array.isArray(value.failures) ? (value.failures as Manifest['failures']) : [],
    last_run: isRecord(value.last_run) ? (value.last_run as unknown as Manifest['last_run']) : null,
  };
}

export async function writeManifest(embeddingsDir: string, manifest: Manifest): Promise<void> {
  await writeFileAtomic(manifestPath(embeddingsDir), `${JSON.stringify(manifest, null, 1)}\n`);
}

export function newManifest(header: CollectionHeader, now: Date): Manifest {
  return {
    format: COLLECTION_FORMAT,
    header,
    shards: [],
    tombstones: [],
    failures: [],
    last_run: null,
    updated_at: now.toISOString(),
  };
}

function describeModel(model: Omit<ModelFacts, 'path'>, dims: number): string {
  return `${model.name} ${model.dtype} (${model.file}, ${dims}-d, preprocessing ${model.preprocess_version})`;
}

/** Why rows of `model` may not join a collection of `header`'s model, or undefined when they may. */
export function modelMismatch(
  header: {model: Omit<ModelFacts, 'path'>; embedding_dim: number},
  model: Omit<ModelFacts, 'path'>,
  dims: number,
): string | undefined {
  const same =
    header.model.name === model.name &&
    header.model.file === model.file &&
    header.model.dtype === model.dtype &&
    header.model.preprocess_version === model.preprocess_version &&
    header.embedding_dim === dims;
  if (same) return undefined;
  return `it holds embeddings of ${describeModel(header.model, header.embedding_dim)}, this run makes ${describeModel(model, dims)}`;
}

/** The refusal for a writer whose model or images folder differs from the collection's. */
export function mixRefusal(embeddingsDir: string, why: string): UserError {
  return new UserError(
    `cannot add to the collection in ${embeddingsDir}: ${why}; rows of different models or folders do not mix`,
    'embed into another embeddings folder, or add --replace to start this collection over',
  );
}
