/** The run's stages wired to the real downloader and embedder. */

import {openEmbeddingCache, resolveCachePath} from '../cache/embedding-cache.js';
import {downloadImages} from '../download/download-images.js';
import {downloadEnvironment} from '../download/settings.js';
import {embedImages} from '../embed/embed-images.js';
import {checkOutputFolder} from '../fs/output-folder.js';
import {openModelFolder, resolveModelsDir} from '../model/model-folder.js';
import {assertDeviceAvailable} from '../runtime/onnx.js';
import type {RunStages} from './run-pipeline.js';

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
    });
  },
  async embed(setup, context) {
    const {cache: useCache = true, cacheFile, ...tuning} = setup.embed ?? {};
    const cache = useCache ? openEmbeddingCache(resolveCachePath(cacheFile, context.env)) : undefined;
    let report: Awaited<ReturnType<typeof embedImages>>;
    try {
      report = await embedImages({
        imagesDir: setup.imagesDir,
        embeddingsDir: setup.embeddingsDir,
        model: setup.model,
        modelsDir: resolveModelsDir(context.modelsDir, context.env),
        dtype: setup.dtype,
        device: setup.device,
        batchSize: setup.batchSize,
        ...tuning,
        cache,
        signal: context.signal,
        onEvent: context.onEvent,
      });
    } finally {
      cache?.close();
    }
    const metadata = report.metadata;
    return {
      ok: metadata.counts.ok,
      failed: metadata.counts.failed,
      failures: metadata.failures,
      interrupted: metadata.interrupted,
      imagesPerSecond: metadata.images_per_second,
      outputFiles: [report.paths.embeddings, report.paths.filenames, report.paths.metadata],
    };
  },
};
