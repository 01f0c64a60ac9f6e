import type {Command} from './command.js';

/** Command modules load lazily so `embed` never pays for ink/react, nor the dashboard for fastify. */
export const commandLoaders: Record<string, {summary: string; load: () => Promise<Command>}> = {
  download: {
    summary: 'download images from picsum, Unsplash, a URL template, a URL list or a folder',
    load: async () => (await import('./download.js')).downloadCommand as unknown as Command,
  },
  embed: {
    summary: 'embed a folder of images with CLIP into image_embeddings.npy',
    load: async () => (await import('./embed.js')).embedCommand as unknown as Command,
  },
  run: {
    summary: 'download then embed, with live progress',
    load: async () => (await import('./run.js')).runCommand as unknown as Command,
  },
  merge: {
    summary: "rebuild a collection's merged view (image_embeddings.npy, ...) from its shards",
    load: async () => (await import('./merge.js')).mergeCommand as unknown as Command,
  },
  validate: {
    summary: "check a run's outputs: structure, runtime, errors, metadata, embeddings",
    load: async () => (await import('./validate.js')).validateCommand as unknown as Command,
  },
  search: {
    summary: 'search the embeddings by text or by image',
    load: async () => (await import('./search.js')).searchCommand as unknown as Command,
  },
  duplicates: {
    summary: 'find exact and near-duplicate images; move the extras out, with undo',
    load: async () => (await import('./duplicates.js')).duplicatesCommand as unknown as Command,
  },
  serve: {
    summary: 'REST API and web UI over the embeddings',
    load: async () => (await import('./serve.js')).serveCommand as unknown as Command,
  },
  models: {
    summary: 'list, pull, verify and remove models',
    load: async () => (await import('./models.js')).modelsCommand as unknown as Command,
  },
  cluster: {
    summary: 'submit a source as shard jobs to Redis for many machines; status; retry-failed',
    load: async () => (await import('./cluster.js')).clusterCommand as unknown as Command,
  },
  worker: {
    summary: 'cluster: take shard jobs from Redis and process them (run on any number of machines)',
    load: async () => (await import('./worker.js')).workerCommand as unknown as Command,
  },
  presets: {
    summary: 'list, show, save and delete saved set-ups',
    load: async () => (await import('./presets.js')).presetsCommand as unknown as Command,
  },
};
