/**
 * Builds a full-size ViT-B/32 model folder (transformers.js layout) from the weightless graphs in
 * shared/fixtures/vit-b32-graphs: each graph is copied and its external data file regenerated from the manifest
 * (seeded normal(mean, std) per float region, uniform random bytes per uint8 region). Compute cost equals real
 * CLIP's; the numbers it computes are meaningless. Written once into bench/.cache and reused.
 */
import {createHash} from 'node:crypto';
import {mkdir, open, readdir, readFile, rename, rm, stat, writeFile} from 'node:fs/promises';
import {basename, join} from 'node:path';
import {fillNormal, fillUniformBytes, seedFromText} from './random.js';

export interface ManifestRegion {
  name: string;
  dtype: 'float32' | 'uint8' | 'int8';
  dims: number[];
  offset: number;
  length: number;
  mean: number | null;
  std: number | null;
}

export interface GraphManifest {
  data_file: string;
  size: number;
  regions: ManifestRegion[];
}

/** Graph names (without .onnx) as in the fixture folder. */
export const VISION_GRAPHS = ['vision_model', 'vision_model_quantized'] as const;

const CHUNK_BYTES = 4 * 1024 * 1024;
/** Bumped when the fill changes, so stale cached folders are regenerated. */
const GENERATOR_VERSION = 1;

/** Writes `<name>.onnx_data` region by region in bounded chunks (the fp32 vision file is 351 MB). */
export async function writeExternalData(manifest: GraphManifest, path: string, seed: number): Promise<void> {
  const partial = `${path}.part`;
  const handle = await open(partial, 'w');
  try {
    const chunk = new Uint8Array(CHUNK_BYTES);
    for (const region of manifest.regions) {
      const random = seedFromText(`${seed}:${region.name}`);
      for (let done = 0; done < region.length; done += CHUNK_BYTES) {
        const bytes = Math.min(CHUNK_BYTES, region.length - done);
        const view = chunk.subarray(0, bytes);
        if (region.dtype === 'float32') {
          const floats = new Float32Array(view.buffer, 0, bytes / 4);
          fillNormal(floats, region.mean ?? 0, region.std ?? 0, random);
        } else {
          fillUniformBytes(view, random);
        }
        await handle.write(view, 0, bytes, region.offset + done);
      }
    }
    // Gaps between regions (alignment) stay zero; the file must still have the manifest's exact size.
    await handle.truncate(manifest.size);
  } finally {
    await handle.close();
  }
  await rename(partial, path);
}

export interface ModelFolderOptions {
  graphsDir: string;
  /** A complete small HF-layout CLIP folder whose config, preprocessor and tokenizer files are copied. */
  templateDir: string;
  outDir: string;
  graphs?: readonly string[];
  seed?: number;
  onProgress?: (message: string) => void;
}

interface FolderStamp {
  generator: number;
  seed: number;
  graphs: Record<string, string>;
}

/** Creates (or reuses, when the stamp matches) a complete model folder; returns its path. */
export async function ensureModelFolder(options: ModelFolderOptions): Promise<string> {
  const graphs = options.graphs ?? VISION_GRAPHS;
  const seed = options.seed ?? 20_240_601;
  const onnxDir = join(options.outDir, 'onnx');
  const stampPath = join(options.outDir, 'bench-model.json');
  const wanted: FolderStamp = {generator: GENERATOR_VERSION, seed, graphs: {}};
  for (const name of graphs) {
    const graph = await readFile(join(options.graphsDir, `${name}.onnx`));
    wanted.graphs[name] = createHash('sha256').update(graph).digest('hex').slice(0, 16);
  }
  const existing = await readFile(stampPath, 'utf8').then(
    (text) => JSON.parse(text) as FolderStamp,
    () => undefined,
  );
  if (existing && JSON.stringify(existing) === JSON.stringify(wanted) && (await dataFilesPresent())) {
    return options.outDir;
  }
  await rm(stampPath, {force: true});
  await mkdir(onnxDir, {recursive: true});
  await copyTemplate(options.templateDir, options.outDir);
  for (const name of graphs) {
    const manifest = JSON.parse(
      await readFile(join(options.graphsDir, `${name}.manifest.json`), 'utf8'),
    ) as GraphManifest;
    options.onProgress?.(`writing ${name}.onnx_data (${(manifest.size / 1e6).toFixed(0)} MB)`);
    await writeExternalData(manifest, join(onnxDir, manifest.data_file), seed);
    await copyWritable(join(options.graphsDir, `${name}.onnx`), join(onnxDir, `${name}.onnx`));
  }
  await writeFile(stampPath, `${JSON.stringify(wanted, null, 2)}\n`);
  return options.outDir;

  async function dataFilesPresent(): Promise<boolean> {
    for (const name of graphs) {
      const manifest = JSON.parse(
        await readFile(join(options.graphsDir, `${name}.manifest.json`), 'utf8'),
      ) as GraphManifest;
      const size = await stat(join(onnxDir, manifest.data_file)).then(
        (info) => info.size,
        () => -1,
      );
      if (size !== manifest.size) return false;
      const graphPresent = await stat(join(onnxDir, `${name}.onnx`)).then(
        () => true,
        () => false,
      );
      if (!graphPresent) return false;
    }
    return true;
  }
}

/** Real ViT-B/32 dimensions, so config.json describes the graphs it sits beside. */
const VIT_B32_VISION = {
  hidden_size: 768,
  intermediate_size: 3072,
  num_hidden_layers: 12,
  num_attention_heads: 12,
};
const VIT_B32_TEXT = {
  hidden_size: 512,
  intermediate_size: 2048,
  num_hidden_layers: 12,
  num_attention_heads: 8,
};

async function copyTemplate(templateDir: string, outDir: string): Promise<void> {
  for (const entry of await readdir(templateDir, {withFileTypes: true})) {
    if (!entry.isFile() || entry.name.endsWith('.safetensors')) continue;
    const source = join(templateDir, entry.name);
    if (entry.name === 'config.json') {
      const config = JSON.parse(await readFile(source, 'utf8')) as Record<string, Record<string, unknown>>;
      config.vision_config = {...config.vision_config, ...VIT_B32_VISION};
      config.text_config = {...config.text_config, ...VIT_B32_TEXT};
      await writeFile(join(outDir, basename(source)), `${JSON.stringify(config, null, 2)}\n`);
    } else {
      await copyWritable(source, join(outDir, entry.name));
    }
  }
}

/** Copies content only: the fixtures are read-only, and a regenerated folder must be able to overwrite them. */
async function copyWritable(source: string, target: string): Promise<void> {
  await writeFile(target, await readFile(source));
}
