/**
 * Turns a query into the one vector a search ranks by, and owns the models that takes, so that the searcher is
 * left with choosing the model folder and the index. The text encoder starts loading as soon as this is made, so
 * the first text query need not wait for the whole load; the image embedder opens on the first image term, so
 * text-only searches never load the vision model.
 */
import {createEmbedder, type Embedder} from '../embed/embedder.js';
import {UserError} from '../errors.js';
import type {Dtype, ModelFolder} from '../model/model-folder.js';
import type {Device} from '../runtime/onnx.js';
import {openTextEncoder, type TextEncoder} from '../text/text-encoder.js';
import type {EmbeddingCollection} from './embedding-collection.js';
import {describeQuery, type Query} from './query.js';

export interface QueryEmbedderOptions {
  collection: EmbeddingCollection;
  folder: ModelFolder;
  modelsDir: string;
  dtype: Dtype;
  device: Device;
  threads?: number;
}

export interface QueryEmbedder {
  /** The normalised sum of the terms' weighted, normalised embeddings. */
  embedQuery(query: Query): Promise<Float32Array>;
  close(): Promise<void>;
}

export function createQueryEmbedder(options: QueryEmbedderOptions): QueryEmbedder {
  const {collection, folder, dtype, device} = options;
  const {matrix} = collection;

  const textEncoder: Promise<TextEncoder> = openTextEncoder({
    modelPath: folder.textModelPath(dtype),
    tokenizerPath: folder.tokenizerPath,
    device,
    intraOpThreads: options.threads,
  });
  textEncoder.catch(() => {}); // surfaced on the first text term
  let embedder: Promise<Embedder> | undefined;

  const checkDims = (vector: Float32Array, what: string): Float32Array => {
    if (vector.length !== matrix.dims) {
      throw new UserError(
        `the ${what} model of '${folder.name}' makes ${vector.length}-d vectors, the embeddings in ${collection.dir} are ${matrix.dims}-d`,
        'search with the model that made the embeddings (--model, or leave it out to use the one in metadata.json)',
      );
    }
    return vector;
  };

  const embedImage = async (image: string | Uint8Array): Promise<Float32Array> => {
    embedder ??= createEmbedder({
      model: folder.dir,
      modelsDir: options.modelsDir,
      dtype,
      device,
      batchSize: 1,
    });
    const [result] = await (await embedder).embedFiles([{id: 'query', data: image}]);
    const label = typeof image === 'string' ? image : 'the uploaded image';
    if (!result?.ok)
      throw new UserError(
        `cannot use ${label} as a query: ${result ? result.reason : 'no result'}`,
        'give a readable JPEG, PNG, WebP, GIF, TIFF or AVIF image',
      );
    return checkDims(result.vector, 'vision');
  };

  const embedQuery = async (query: Query): Promise<Float32Array> => {
    const texts = query.terms.flatMap((term) => (term.kind === 'text' ? [term.text] : []));
    const textVectors = texts.length > 0 ? await (await textEncoder).embedTexts(texts) : [];
    const combined = new Float64Array(matrix.dims);
    let nextText = 0;
    for (const term of query.terms) {
      let vector: Float32Array;
      if (term.kind === 'text') vector = checkDims(textVectors[nextText++]!, 'text');
      else if (term.kind === 'image') vector = await embedImage(term.image);
      else if (term.kind === 'url')
        throw new UserError(
          `image links are not fetched for queries yet (${term.url})`,
          'download the image and use image:PATH',
        );
      else {
        if (!Number.isInteger(term.row) || term.row < 0 || term.row >= matrix.rows)
          throw new UserError(`there is no row id:${term.row}`, `ids go from 0 to ${matrix.rows - 1}`);
        vector = matrix.data.subarray(term.row * matrix.dims, (term.row + 1) * matrix.dims);
      }
      for (let i = 0; i < matrix.dims; i++) combined[i]! += term.weight * vector[i]!;
    }
    let sum = 0;
    for (const value of combined) sum += value * value;
    if (!(sum > 1e-12)) {
      throw new UserError(
        `the terms of ${describeQuery(query)} cancel out`,
        'change the weights or the terms so that something is left to search for',
      );
    }
    const scale = 1 / Math.sqrt(sum);
    return Float32Array.from(combined, (value) => value * scale);
  };

  return {
    embedQuery,
    async close() {
      const closing: Promise<unknown>[] = [textEncoder.then((encoder) => encoder.close()).catch(() => {})];
      if (embedder) closing.push(embedder.then((open) => open.close()).catch(() => {}));
      await Promise.all(closing);
    },
  };
}
