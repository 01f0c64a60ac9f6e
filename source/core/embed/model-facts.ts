/** What a collection records of the model that made its rows, read off a running embedder. */
import type {ModelFacts} from '../collection/types.js';
import type {Embedder} from './embedder.js';

export function modelFactsOf(embedder: Embedder): ModelFacts {
  return {
    name: embedder.modelName,
    path: embedder.modelDir,
    file: embedder.modelFile,
    dtype: embedder.dtype,
    preprocess_version: embedder.preprocessVersion,
    decode: embedder.decode,
  };
}
