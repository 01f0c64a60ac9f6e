/**
 * The embedding cache: vectors keyed by the image bytes' SHA-256, the model, the dtype and the preprocessing
 * version, in SQLite (WAL, synchronous FULL). A vector is served only for the exact key it was stored under, so a
 * different model or dtype never gets one. Each putMany is one transaction: a crash loses at most the batch in
 * flight, never one already committed. A damaged file is a UserError that says to delete it (it is only a cache).
 */
import {mkdirSync} from 'node:fs';
import {homedir} from 'node:os';
import {dirname, join, resolve} from 'node:path';
import Database from 'better-sqlite3';
import type {CacheKey, EmbeddingCachePort} from '../embed/cache-port.js';
import {UserError} from '../errors.js';

const SCHEMA_VERSION = 1;

export interface EmbeddingCacheStats {
  path: string;
  /** Vectors stored, all models together. */
  entries: number;
  /** Lookups answered / not answered since this handle opened. */
  hits: number;
  misses: number;
  models: {model: string; dtype: string; preprocessVersion: string; entries: number}[];
}

export interface EmbeddingCache extends EmbeddingCachePort {
  readonly path: string;
  stats(): EmbeddingCacheStats;
}

/** Where the cache lives unless told: $VISUAL_CORTEX_CACHE, else $XDG_CACHE_HOME or ~/.cache, /visual-cortex. */
export function resolveCachePath(flag: string | undefined, env: NodeJS.ProcessEnv): string {
  if (flag) return resolve(flag);
  if (env.VISUAL_CORTEX_CACHE) return resolve(env.VISUAL_CORTEX_CACHE);
  const base = env.XDG_CACHE_HOME || join(homedir(), '.cache');
  return join(base, 'visual-cortex', 'embeddings.sqlite');
}

function isDamage(error: unknown): boolean {
  const code = (error as {code?: unknown}).code;
  return typeof code === 'string' && /^SQLITE_(NOTADB|CORRUPT|CANTOPEN|IOERR)/.test(code);
}

function damaged(path: string, error: unknown): UserError {
  const detail = error instanceof Error ? error.message : String(error);
  return new UserError(
    `the embedding cache ${path} is damaged or not a cache (${detail})`,
    `delete ${path} (and ${path}-wal, ${path}-shm if present); it is only a cache, vectors will be recomputed. Or run with --no-cache`,
  );
}

function guard<T>(path: string, action: () => T): T {
  try {
    return action();
  } catch (error) {
    if (isDamage(error)) throw damaged(path, error);
    throw error;
  }
}

function openDatabase(path: string): Database.Database {
  mkdirSync(dirname(path), {recursive: true});
  const db = new Database(path, {timeout: 5000});
  try {
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = FULL');
    const version = db.pragma('user_version', {simple: true}) as number;
    const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as {
      name: string;
    }[];
    const fresh = tables.length === 0;
    if (!fresh && version !== SCHEMA_VERSION) {
      throw new UserError(
        `${path} is not an embedding cache this version can read (schema ${version}, tables ${tables.map((t) => t.name).join(', ')})`,
        `delete ${path}, or point --cache-file somewhere else`,
      );
    }
    db.exec(`CREATE TABLE IF NOT EXISTS embeddings (
      sha256 TEXT NOT NULL,
      model TEXT NOT NULL,
      dtype TEXT NOT NULL,
      preprocess_version TEXT NOT NULL,
      dims INTEGER NOT NULL,
      vector BLOB NOT NULL,
      stored_at INTEGER NOT NULL,
      PRIMARY KEY (sha256, model, dtype, preprocess_version)
    ) WITHOUT ROWID`);
    if (fresh) db.pragma(`user_version = ${SCHEMA_VERSION}`);
    return db;
  } catch (error) {
    db.close();
    throw error;
  }
}

export function openEmbeddingCache(path: string): EmbeddingCache {
  const absolute = resolve(path);
  const db = guard(absolute, () => openDatabase(absolute));
  const select = db.prepare(
    'SELECT dims, vector FROM embeddings WHERE sha256 = ? AND model = ? AND dtype = ? AND preprocess_version = ?',
  );
  const upsert = db.prepare(
    `INSERT INTO embeddings (sha256, model, dtype, preprocess_version, dims, vector, stored_at)
     VALUES (?, ?, ?, ?, ?, ?, ?)
     ON CONFLICT (sha256, model, dtype, preprocess_version) DO UPDATE SET
       dims = excluded.dims, vector = excluded.vector, stored_at = excluded.stored_at`,
  );
  let hits = 0;
  let misses = 0;

  const lookAll = db.transaction((keys: CacheKey[]) => {
    const found = new Map<string, Float32Array>();
    for (const key of keys) {
      const row = select.get(key.sha256, key.model, key.dtype, key.preprocessVersion) as
        | {dims: number; vector: Buffer}
        | undefined;
      if (row && row.vector.byteLength === row.dims * 4) {
        // Copy out of SQLite's buffer: it is reused, and a Float32Array needs 4-byte alignment.
        const vector = new Float32Array(row.dims);
        new Uint8Array(vector.buffer).set(row.vector);
        found.set(key.sha256, vector);
        hits++;
      } else {
        misses++;
      }
    }
    return found;
  });

  const storeAll = db.transaction((entries: {key: CacheKey; vector: Float32Array}[]) => {
    const now = Date.now();
    for (const {key, vector} of entries) {
      const bytes = Buffer.from(vector.buffer, vector.byteOffset, vector.byteLength);
      upsert.run(key.sha256, key.model, key.dtype, key.preprocessVersion, vector.length, bytes, now);
    }
  });

  let open = true;
  return {
    path: absolute,
    getMany: (keys) => guard(absolute, () => lookAll(keys)),
    putMany(entries) {
      if (entries.length > 0) guard(absolute, () => storeAll(entries));
    },
    stats() {
      return guard(absolute, () => {
        const models = db
          .prepare(
            `SELECT model, dtype, preprocess_version AS preprocessVersion, COUNT(*) AS entries
             FROM embeddings GROUP BY model, dtype, preprocess_version ORDER BY model, dtype`,
          )
          .all() as EmbeddingCacheStats['models'];
        const entries = models.reduce((sum, group) => sum + group.entries, 0);
        return {path: absolute, entries, hits, misses, models};
      });
    },
    close() {
      if (!open) return;
      open = false;
      db.close();
    },
  };
}
