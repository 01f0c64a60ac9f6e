/**
 * The ShardProcessor that `worker` runs: the one place to swap when the stages change. Today: download, embed
 * with the embed pipeline's batch schedule, commit (embed-processor.ts).
 */
import {parseDevice} from '../embed/embedder.js';
import {resolveModelsDir} from '../model/model-folder.js';
import {type ClosableProcessor, createEmbedProcessor} from './embed-processor.js';

export interface ShardProcessorSettings {
  /** Inference settings of this host; the model and dtype come from the queue's record. */
  device?: string;
  threads?: number;
  modelsDir?: string;
  env: NodeJS.ProcessEnv;
}

export function createShardProcessor(settings: ShardProcessorSettings): ClosableProcessor {
  return createEmbedProcessor({
    device: parseDevice(settings.device ?? 'cpu'),
    threads: settings.threads,
    modelsDir: resolveModelsDir(settings.modelsDir, settings.env),
  });
}
