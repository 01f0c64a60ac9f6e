/** The run's stages wired to the real downloader and the collection sync (embed's engine). */
import {openEmbeddingCache, resolveCachePath} from '../cache/embedding-cache.js';
import {downloadImages} from '../download/download-images.js';
import {downloadEnvironment} from '../download/settings.js';
import type {EmbeddingCachePort} from '../embed/cache-port.js';
import {syncImages} from '../embed/embed-images.js';
import {checkOutputFolder} from '../fs/output-folder.js';
import {openModelFolder, resolveModelsDir} from '../model/model-folder.js';
import {assertDeviceAvailable} from '../runtime/onnx.js';
import type {EmbedStageReport} from './embed-stage.js';
import type {RunSetup} from './run-setup.js';
import type {EmbedStageContext, RunStages} from './stages.js';

export const realStages: RunStages = {
  async preflight(setup, context) {
    assertDeviceAvailable(setup.device);
    await openModelFolder(setup.model, {
      modelsDir: resolveModelsDir(context.modelsDir, context.env),
      dtype: setup.dtype,
    });
    // Before the download, not after it: a bad embeddings folder should not cost the downloaded images' wait.
    await checkOutputFolder(setup.embeddingsDir);
  },
  download(setup, context) {
    return downloadImages({
      ...downloadEnvironment(context.env),
      provider: setup.provider,
      count: setup.count,
      imagesDir: setup.imagesDir,
      width: setup.width,
      height: setup.height,
      workers: setup.workers,
      ...(setup.url ? {urlTemplate: setup.url} : {}),
      ...(setup.urls ? {urlsFile: setup.urls} : {}),
      ...(setup.sourceDir ? {sourceDir: setup.sourceDir} : {}),
      ...(setup.maxAttempts > 0 ? {maxAttempts: setup.maxAttempts} : {}),
      ...(setup.maxSeconds > 0 ? {maxSeconds: setup.maxSeconds} : {}),
      ...setup.download,
      signal: context.signal,
      onEvent: context.onEvent,
      onKept: context.onKept,
    });
  },
  async embed(setup, context) {
    // Threads, sessions and the preprocessing split are embed's defaults unless given: the download's workers wait
    // on the network on this thread's event loop, so the cores stay the embedder's (docs/performance.md).
    // Like `embed`: a resumed run takes what the killed or stopped one embedded from the cache.
    const {cache: useCache = true, cacheFile} = setup.embed ?? {};
    const cache =
      context.cache !== undefined
        ? (context.cache ?? undefined)
        : useCache
          ? openEmbeddingCache(resolveCachePath(cacheFile, context.env))
          : undefined;
    try {
      return await embedStage(setup, context, cache);
    } finally {
      if (context.cache === undefined) cache?.close();
    }
  },
};

async function embedStage(
  setup: RunSetup,
  context: EmbedStageContext,
  cache: EmbeddingCachePort | undefined,
): Promise<EmbedStageReport> {
  const {cache: _useCache, cacheFile: _cacheFile, ...tuning} = setup.embed ?? {};
  const outcome = await syncImages({
    imagesDir: setup.imagesDir,
    embeddingsDir: setup.embeddingsDir,
    model: setup.model,
    modelsDir: resolveModelsDir(context.modelsDir, context.env),
    dtype: setup.dtype,
    device: setup.device,
    batchSize: setup.batchSize,
    ...tuning,
    cache,
    shardSize: context.shardSize ?? tuning.shardSize,
    incoming: context.incoming,
    incomingExpected: context.incomingExpected,
    signal: context.signal,
    onEvent: context.onEvent,
  });
  if ('empty' in outcome)
    return {
      ok: 0,
      failed: outcome.failures.length,
      failures: outcome.failures,
      cacheHits: 0,
      interrupted: outcome.interrupted,
      imagesPerSecond: 0,
      outputFiles: [],
      collection: null,
    };
  const {metadata, sync, paths} = outcome;
  const run = metadata.collection?.run;
  return {
    ok: sync.appended,
    failed: run?.failed ?? metadata.counts.failed,
    failures: metadata.failures,
    cacheHits: run?.cache_hits ?? 0,
    interrupted: metadata.interrupted,
    imagesPerSecond: metadata.images_per_second,
    outputFiles: [paths.embeddings, paths.filenames, paths.metadata],
    collection: sync,
  };
}
