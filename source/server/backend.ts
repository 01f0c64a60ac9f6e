/** What the HTTP layer needs from the engine; the real one wraps the searcher, embedder and cache. */
export interface SearchHit {
  rank: number;
  id: number;
  file: string;
  score: number;
}

export interface CollectionStats {
  count: number;
  model: string;
  dtype: string;
  dims: number;
  index: string;
}

export interface EmbedUploadResult {
  added: {id: number; file: string}[];
  failed: {file: string; reason: string}[];
}

/** A query the client got wrong (unreadable image, unknown id): answered with a 4xx, never a crash. */
export class BadQueryError extends Error {
  override readonly name = 'BadQueryError';
}

export interface ServeBackend {
  stats(): CollectionStats;
  searchText(query: string, k: number): Promise<SearchHit[]>;
  searchImage(bytes: Uint8Array, k: number): Promise<SearchHit[]>;
  searchById(id: number, k: number): Promise<SearchHit[]>;
  /** Absolute path of row `id`'s image, already checked to lie inside the dataset folder; undefined if none. */
  imagePath(id: number): Promise<string | undefined>;
  embedUploads(files: {name: string; data: Uint8Array}[]): Promise<EmbedUploadResult>;
  close(): Promise<void>;
}
