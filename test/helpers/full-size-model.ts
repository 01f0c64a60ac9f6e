/**
 * The full-size ViT-B/32 with random weights, as the bench makes it (bench/model-folder.ts, into bench/.cache,
 * reused once written: 440 MB, ~10 s). Tests that need real-sized sessions (worker threads busy for seconds in
 * onnxruntime) use it when VC_TEST_FULL_MODEL=1; it is too slow for every run.
 */
import {join, resolve} from 'node:path';
import {ensureModelFolder} from '../../bench/model-folder.js';

export const FULL_MODEL_ENV = 'VC_TEST_FULL_MODEL';

const ROOT = resolve(new URL('../..', import.meta.url).pathname);

/** The model folder's path, or undefined when the variable is not set. */
export async function fullSizeModel(): Promise<string | undefined> {
  if (process.env[FULL_MODEL_ENV] !== '1') return undefined;
  return ensureModelFolder({
    graphsDir: resolve(ROOT, '../shared/fixtures/vit-b32-graphs'),
    templateDir: join(ROOT, 'test/fixtures/tiny-clip'),
    outDir: join(ROOT, 'bench/.cache/models/vit-b32'),
  });
}
