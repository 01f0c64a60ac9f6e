/**
 * The ShardProcessor that `worker` runs: the one place to swap when the stages change. For now it downloads only
 * (download-processor.ts); the streaming download -> embed -> commitShard pipeline plugs in here.
 */
import {createDownloadProcessor} from './download-processor.js';
import type {ShardProcessor} from './types.js';

export interface ShardProcessorSettings {
  /** Inference settings of this host; the model and dtype come from the queue's record. */
  device?: string;
  threads?: number;
  modelsDir?: string;
  env: NodeJS.ProcessEnv;
}

// TODO(lead): return the streaming processor (download -> bounded queue -> embedder -> commitShard) using settings.
export function createShardProcessor(_settings: ShardProcessorSettings): ShardProcessor {
  return createDownloadProcessor();
}
