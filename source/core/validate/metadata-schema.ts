/**
 * JSON Schema of metadata.json (schema_version 1, or 2 with a collection's `collection` block), checked with
 * Ajv. Extra properties are allowed: newer writers may add fields, and validation judges only what this version
 * of the tool relies on.
 */
import {Ajv, type ErrorObject} from 'ajv';

const nonEmpty = {type: 'string', minLength: 1} as const;
const count = {type: 'integer', minimum: 0} as const;
const seconds = {type: 'number', minimum: 0} as const;
const isoTime = {
  type: 'string',
  pattern: '^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}(\\.\\d+)?(Z|[+-]\\d{2}:\\d{2})$',
} as const;

export const METADATA_JSON_SCHEMA = {
  type: 'object',
  required: [
    'schema_version',
    'tool',
    'model',
    'device',
    'execution_provider',
    'batch_size',
    'input_dir',
    'counts',
    'failures',
    'timings_seconds',
    'images_per_second',
    'peak_rss_bytes',
    'versions',
    'started_at',
    'finished_at',
    'interrupted',
  ],
  properties: {
    schema_version: {enum: [1, 2]},
    tool: {type: 'object', required: ['name', 'version'], properties: {name: nonEmpty, version: nonEmpty}},
    model: {
      type: 'object',
      required: ['name', 'path', 'dtype', 'file', 'embedding_dim', 'preprocess_version'],
      properties: {
        name: nonEmpty,
        path: nonEmpty,
        dtype: {enum: ['fp32', 'q8', 'fp16']},
        file: nonEmpty,
        embedding_dim: {type: 'integer', minimum: 1},
        preprocess_version: nonEmpty,
      },
    },
    device: nonEmpty,
    execution_provider: nonEmpty,
    batch_size: {type: 'integer', minimum: 1},
    input_dir: nonEmpty,
    // Optional fields are newer than the rest, so earlier outputs still validate.
    intra_op_threads: {type: 'integer', minimum: 1},
    inference_sessions: {type: 'integer', minimum: 1},
    counts: {
      type: 'object',
      required: ['inputs', 'ok', 'failed', 'cache_hits'],
      // not_reached: files an interrupted run never tried (inputs = ok + failed + not_reached).
      properties: {
        inputs: count,
        ok: count,
        failed: count,
        cache_hits: count,
        skipped: count,
        not_reached: count,
      },
    },
    failures: {
      type: 'array',
      items: {type: 'object', required: ['file', 'reason'], properties: {file: nonEmpty, reason: nonEmpty}},
    },
    timings_seconds: {
      type: 'object',
      required: ['load', 'preprocess', 'inference', 'write', 'total'],
      properties: {load: seconds, preprocess: seconds, inference: seconds, write: seconds, total: seconds},
    },
    images_per_second: {type: 'number', minimum: 0},
    peak_rss_bytes: count,
    versions: {
      type: 'object',
      required: ['node', 'onnxruntime', 'sharp', 'libvips'],
      // jpeg_decoder is newer than the rest: optional, so earlier outputs still validate.
      properties: {
        node: nonEmpty,
        onnxruntime: nonEmpty,
        sharp: nonEmpty,
        libvips: nonEmpty,
        jpeg_decoder: nonEmpty,
      },
    },
    files: {
      type: 'object',
      additionalProperties: {
        type: 'object',
        required: ['sha256'],
        properties: {bytes: count, sha256: {type: 'string', pattern: '^[0-9a-f]{64}$'}},
      },
    },
    started_at: isoTime,
    finished_at: isoTime,
    interrupted: {type: 'boolean'},
    // schema_version 2, a collection's merged view: which shards it covers and what the last run did.
    collection: {
      type: 'object',
      required: ['format', 'shards', 'shard_ids', 'rows', 'live_rows', 'tombstones', 'fingerprint', 'run'],
      properties: {
        format: {type: 'integer', minimum: 1},
        shards: count,
        shard_ids: {type: 'array', items: nonEmpty},
        rows: count,
        live_rows: count,
        tombstones: count,
        fingerprint: nonEmpty,
        run: {
          anyOf: [
            {type: 'null'},
            {
              type: 'object',
              required: ['inputs', 'ok', 'failed', 'cache_hits', 'kept', 'removed'],
              properties: {
                inputs: count,
                ok: count,
                failed: count,
                cache_hits: count,
                kept: count,
                removed: count,
              },
            },
          ],
        },
      },
    },
  },
} as const;

/** The fields the consistency checks read, once the schema holds. */
export interface CheckedMetadata {
  model: {
    name: string;
    path: string;
    dtype: string;
    file: string;
    embedding_dim: number;
    preprocess_version: string;
  };
  input_dir: string;
  inference_sessions?: number;
  counts: {inputs: number; ok: number; failed: number; cache_hits: number; not_reached?: number};
  failures: {file: string; reason: string}[];
  timings_seconds: {load: number; preprocess: number; inference: number; write: number; total: number};
  images_per_second: number;
  started_at: string;
  finished_at: string;
  interrupted: boolean;
  collection?: {live_rows: number; run: {ok: number; cache_hits: number} | null};
}

const ajv = new Ajv({allErrors: true, strict: true});
const validateSchema = ajv.compile(METADATA_JSON_SCHEMA);

/** Schema violations as readable lines ("counts.ok must be integer"); empty when the metadata is valid. */
export function metadataSchemaErrors(value: unknown): string[] {
  if (validateSchema(value)) return [];
  return (validateSchema.errors ?? []).map(describeSchemaError);
}

function describeSchemaError(error: ErrorObject): string {
  const where = error.instancePath.replace(/^\//, '').replaceAll('/', '.') || 'metadata';
  if (error.keyword === 'required') return `${where} lacks "${String(error.params.missingProperty)}"`;
  if (error.keyword === 'enum')
    return `${where} must be one of ${(error.params.allowedValues as unknown[]).join(', ')}`;
  if (error.keyword === 'const') return `${where} must be ${JSON.stringify(error.params.allowedValue)}`;
  if (error.keyword === 'pattern')
    return where.endsWith('sha256')
      ? `${where} must be 64 lowercase hex digits`
      : `${where} must be an ISO 8601 date-time`;
  return `${where} ${error.message ?? 'is invalid'}`;
}
