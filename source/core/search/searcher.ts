/**
 * Search over a folder of outputs, for the CLI, the dashboard and the REST server alike. The collection is read
 * once; the text model starts loading at once and stays warm; the image embedder is opened on the first image term.
 * Queries combine terms as the normalised sum of their weighted, normalised embeddings; scores are cosines.
 */
import {resolve} from 'node:path';
import {UserError} from '../errors.js';
import {type Dtype, isDtype, type ModelFolder, openModelFolder} from '../model/model-folder.js';
import type {Device} from '../runtime/onnx.js';
import {type EmbeddingCollection, loadEmbeddingCollection} from './embedding-collection.js';
import {type EmbeddingMatrix, exactSearch} from './exact-search.js';
import {type HnswIndex, type HnswIndexMeta, loadHnswIndex} from './hnsw-index.js';
import {parseQuery, type Query} from './query.js';
import {createQueryEmbedder} from './query-embedder.js';
import {checkMinScore, type SearchFilters, underFilter} from './result-filter.js';
import type {ScoredRow} from './top-k.js';

export type IndexChoice = 'auto' | 'exact' | 'hnsw';
export const INDEX_CHOICES: readonly IndexChoice[] = ['auto', 'exact', 'hnsw'];

export interface SearchResult {
  /** 1 = best. */
  rank: number;
  /** Row in image_embeddings.npy. */
  id: number;
  file: string;
  /** Cosine similarity with the (combined) query. */
  score: number;
}

export interface SearcherOptions {
  embeddingsDir: string;
  modelsDir: string;
  /** Defaults to the model named in metadata.json (its name, then its path). */
  model?: string;
  /** Defaults to metadata.json's dtype, else fp32. */
  dtype?: Dtype;
  device?: Device;
  /** auto (default): a fresh HNSW index beside the embeddings if there is one, else exact. */
  index?: IndexChoice;
  threads?: number;
  /** The collection already read from `dir` (serve reads it first to know its shards). */
  collection?: EmbeddingCollection;
}

export interface Searcher {
  embeddingsDir: string;
  count: number;
  dims: number;
  modelName: string;
  dtype: Dtype;
  index: 'exact' | 'hnsw';
  indexMeta?: HnswIndexMeta;
  files: readonly string[];
  /** The images folder the names are relative to, when the embeddings record one (absolute). */
  imagesDir?: string;
  /** Things the user should know (a stale index, a model other than the one that made the embeddings). */
  notes: string[];
  /**
   * A string is parsed with parseQuery (so `"cat" - "dog"` works). With `under`, the search is exact over the rows
   * in that subfolder (an HNSW walk would miss them); `minScore` drops weaker results from the top k.
   */
  search(query: Query | string, k: number, filters?: SearchFilters): Promise<SearchResult[]>;
  /** The combined, normalised query vector. */
  embedQuery(query: Query): Promise<Float32Array>;
  /**
   * Adds rows after the last (serve's uploads): in one synchronous step, so a search sees all of them or none.
   * Rows must be unit length and of the collection's width.
   */
  append(rows: readonly Float32Array[], files: readonly string[]): void;
  close(): Promise<void>;
}

async function resolveModel(
  options: SearcherOptions,
  collection: EmbeddingCollection,
  dtype: Dtype,
): Promise<ModelFolder> {
  const candidates = options.model
    ? [options.model]
    : [collection.model.name, collection.model.path].filter((value): value is string => Boolean(value));
  if (candidates.length === 0) {
    throw new UserError(
      `${collection.dir} has no metadata.json naming the model that made the embeddings`,
      'pass --model NAME_OR_PATH (the model used by embed)',
    );
  }
  let firstError: unknown;
  for (const candidate of candidates) {
    try {
      return await openModelFolder(candidate, {modelsDir: options.modelsDir, dtype, needText: true});
    } catch (error) {
      firstError ??= error;
    }
  }
  throw firstError;
}

function pickDtype(options: SearcherOptions, collection: EmbeddingCollection): Dtype {
  if (options.dtype) return options.dtype;
  const stored = collection.model.dtype;
  return stored && isDtype(stored) ? stored : 'fp32';
}

async function pickIndex(
  choice: IndexChoice,
  collection: EmbeddingCollection,
  notes: string[],
): Promise<{index?: HnswIndex; meta?: HnswIndexMeta}> {
  if (choice === 'exact') return {};
  const loaded = await loadHnswIndex(collection.dir, {
    rows: collection.matrix.rows,
    dims: collection.matrix.dims,
    embeddingsSha256: collection.embeddingsSha256,
  });
  if (loaded.status === 'ready') return {index: loaded.index, meta: loaded.meta};
  const rebuild = `visual-cortex search --build-index --embeddings ${collection.dir}`;
  if (choice === 'hnsw') {
    throw new UserError(
      loaded.status === 'missing'
        ? `there is no HNSW index in ${collection.dir}`
        : `the HNSW index in ${collection.dir} is stale: ${loaded.reason}`,
      `build it with: ${rebuild} (or search exactly with --index exact)`,
    );
  }
  if (loaded.status === 'stale')
    notes.push(`the HNSW index is stale (${loaded.reason}); searching exactly. Rebuild it: ${rebuild}`);
  return {};
}

export async function createSearcher(options: SearcherOptions): Promise<Searcher> {
  const collection = options.collection ?? (await loadEmbeddingCollection(options.embeddingsDir));
  const dtype = pickDtype(options, collection);
  const folder = await resolveModel(options, collection, dtype);
  const notes: string[] = [...collection.notes];
  const stored = collection.model;
  if (options.model && options.model !== stored.name && options.model !== stored.path && stored.name) {
    notes.push(`the embeddings were made with '${stored.name}', you are searching with '${options.model}'`);
  }
  const {index, meta} = await pickIndex(options.index ?? 'auto', collection, notes);
  const {matrix, files} = collection;
  const imagesDir = collection.imagesDir ? resolve(collection.imagesDir) : undefined;
  const queries = createQueryEmbedder({
    collection,
    folder,
    modelsDir: options.modelsDir,
    dtype,
    device: options.device ?? 'cpu',
    threads: options.threads,
  });
  const {embedQuery} = queries;

  const toResults = (hits: ScoredRow[]): SearchResult[] =>
    hits.map((hit, position) => ({
      rank: position + 1,
      id: hit.row,
      file: files[hit.row] ?? '',
      score: hit.score,
    }));

  const grow = matrixGrower(matrix);
  return {
    embeddingsDir: collection.dir,
    get count() {
      return matrix.rows;
    },
    dims: matrix.dims,
    modelName: folder.name,
    dtype,
    index: index ? 'hnsw' : 'exact',
    indexMeta: meta,
    files,
    imagesDir,
    notes,
    embedQuery,
    async search(query, k, filters = {}) {
      if (!Number.isInteger(k) || k < 1)
        throw new UserError(`k must be a positive integer, got ${k}`, 'use -k 10');
      const minScore = filters.minScore === undefined ? undefined : checkMinScore(filters.minScore);
      const include = underFilter(files, filters.under, imagesDir);
      const parsed = typeof query === 'string' ? parseQuery(query) : query;
      const vector = await embedQuery(parsed);
      const hits = index && !include ? index.search(vector, k) : exactSearch(matrix, vector, k, {include});
      return toResults(minScore === undefined ? hits : hits.filter((hit) => hit.score >= minScore));
    },
    append(rows, added) {
      if (rows.length !== added.length) throw new Error('rows and files are not aligned');
      grow(rows);
      index?.add(rows);
      files.push(...added);
    },
    close: () => queries.close(),
  };
}

/**
 * Appends rows to the matrix in place. Growing copies the whole matrix, so it leaves room for 1/16 more rows (at
 * least 4,096): small appends copy rarely, and the spare room costs at most 1/16 of the matrix's memory.
 */
function matrixGrower(matrix: EmbeddingMatrix): (rows: readonly Float32Array[]) => void {
  let backing = matrix.data;
  return (rows) => {
    const {dims} = matrix;
    const needed = (matrix.rows + rows.length) * dims;
    if (needed > backing.length) {
      const room = matrix.rows + rows.length + Math.max(4096, matrix.rows >> 4);
      const larger = new Float32Array(room * dims);
      larger.set(matrix.data);
      backing = larger;
    }
    for (const [index, row] of rows.entries()) {
      if (row.length !== dims) throw new Error(`row has ${row.length} values, expected ${dims}`);
      backing.set(row, (matrix.rows + index) * dims);
    }
    matrix.data = backing.subarray(0, needed);
    matrix.rows += rows.length;
  };
}
