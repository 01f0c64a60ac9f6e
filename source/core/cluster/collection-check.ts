/**
 * One collection, one model: the check `cluster submit` makes before queueing anything and a worker makes before
 * downloading a shard (the commit checks the full model facts again). Only the manifest is read.
 */
import {basename} from 'node:path';
import {readManifest} from '../collection/manifest.js';
import {UserError} from '../errors.js';
import {preprocessVersion} from '../image/clip-preprocess.js';
import type {ClusterRecord} from './types.js';

/** Why a collection whose header names `model` cannot take rows the record's workers make, or undefined. */
export function recordMismatch(
  model: {name: string; dtype: string; preprocess_version: string},
  record: Pick<ClusterRecord, 'model' | 'dtype'>,
): string | undefined {
  const sameName = model.name === record.model || model.name === basename(record.model);
  // Workers decode exactly (the reference's pixels); a --decode fast collection has another preprocessing.
  const samePreprocessing = model.preprocess_version === preprocessVersion('exact');
  if (sameName && model.dtype === record.dtype && samePreprocessing) return undefined;
  return `it holds embeddings of ${model.name} ${model.dtype} (preprocessing ${model.preprocess_version}); the queue's workers make ${record.model} ${record.dtype} (preprocessing ${preprocessVersion('exact')})`;
}

/** Refuses, with the fix, a collection folder that holds another model's rows. */
export async function checkCollectionModel(
  embeddingsDir: string,
  record: Pick<ClusterRecord, 'model' | 'dtype'>,
): Promise<void> {
  const manifest = await readManifest(embeddingsDir);
  if (!manifest) return;
  const why = recordMismatch(manifest.header.model, record);
  if (why)
    throw new UserError(
      `the collection in ${embeddingsDir} cannot take this queue's shards: ${why}; rows of different models do not mix`,
      `submit with --model ${manifest.header.model.name} --dtype ${manifest.header.model.dtype}, or use another --embeddings folder`,
    );
}
