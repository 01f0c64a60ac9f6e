/** The run's stages wired to the real downloader and embedder. */
import {downloadImages} from '../download/download-images.js';
import {downloadEnvironment} from '../download/settings.js';
import {embedImages} from '../embed/embed-images.js';
import {checkOutputFolder} from '../fs/output-folder.js';
import {openModelFolder, resolveModelsDir} from '../model/model-folder.js';
import {assertDeviceAvailable, type Device} from '../runtime/onnx.js';
import type {RunStages} from './stages.js';

export const realStages: RunStages = {
  async preflight(setup, context) {
    assertDeviceAvailable(setup.device as Device);
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
      outputDir: setup.outputDir,
      width: setup.width,
      height: setup.height,
      workers: setup.workers,
      ...(setup.url ? {urlTemplate: setup.url} : {}),
      ...(setup.urls ? {urlsFile: setup.urls} : {}),
      ...(setup.inputDir ? {inputDir: setup.inputDir} : {}),
      ...(setup.maxAttempts > 0 ? {maxAttempts: setup.maxAttempts} : {}),
      ...(setup.maxSeconds > 0 ? {maxSeconds: setup.maxSeconds} : {}),
      signal: context.signal,
      onEvent: context.onEvent,
    });
  },
  async embed(setup, context) {
    const report = await embedImages({
      inputDir: setup.outputDir,
      outputDir: setup.embeddingsDir,
      model: setup.model,
      modelsDir: resolveModelsDir(context.modelsDir, context.env),
      dtype: setup.dtype,
      device: setup.device as Device,
      batchSize: setup.batchSize,
      signal: context.signal,
      onEvent: context.onEvent,
    });
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
