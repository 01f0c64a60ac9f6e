/**
 * A real embed run over the fixture images with the tiny CLIP, in a temp folder the test owns, plus helpers to
 * break its outputs on purpose.
 */
import {cp, mkdir, mkdtemp, readFile, rm, writeFile} from 'node:fs/promises';
import {tmpdir} from 'node:os';
import {join, resolve} from 'node:path';
import {embedImages} from '../../source/core/embed/embed-images.js';
import type {EmbedMetadata} from '../../source/core/embed/metadata.js';
import {
  encodeFloat32Matrix,
  encodeUnicodeArray,
  readFloat32Matrix,
  readUnicodeArray,
} from '../../source/core/npy.js';
import type {CheckId, ValidateOptions, ValidationReport} from '../../source/core/validate/types.js';
import {validateOutputs} from '../../source/core/validate/validate-outputs.js';

export const TINY_CLIP = resolve('test/fixtures/tiny-clip');
export const FIXTURE_IMAGES = resolve('test/fixtures/images');

export interface RunFixture {
  root: string;
  imagesDir: string;
  embeddingsDir: string;
  modelsDir: string;
  /** A fresh copy of the pristine outputs in a new folder, to break without touching the original. */
  copy(name: string): Promise<string>;
  cleanup(): Promise<void>;
}

export async function createRunFixture(): Promise<RunFixture> {
  const root = await mkdtemp(join(tmpdir(), 'vc-validate-'));
  const imagesDir = join(root, 'images');
  const embeddingsDir = join(root, 'run');
  const modelsDir = join(root, 'models');
  await cp(FIXTURE_IMAGES, join(imagesDir, 'set'), {recursive: true});
  await mkdir(modelsDir);
  // One bad file, so the run records a failure as real runs do.
  await writeFile(join(imagesDir, 'broken.jpg'), 'not really a jpeg');
  try {
    await embedImages({
      imagesDir,
      embeddingsDir,
      model: TINY_CLIP,
      modelsDir,
      dtype: 'fp32',
      device: 'cpu',
      threads: 1,
    });
  } catch (error) {
    await rm(root, {recursive: true, force: true});
    throw error;
  }
  return {
    root,
    imagesDir,
    embeddingsDir,
    modelsDir,
    async copy(name) {
      const target = join(root, name);
      // Links kept as they are (relative): fs.cp would point a copy's merged view back at the original's.
      await cp(embeddingsDir, target, {recursive: true, verbatimSymlinks: true});
      return target;
    },
    cleanup: () => rm(root, {recursive: true, force: true}),
  };
}

export async function readMatrix(dir: string) {
  return readFloat32Matrix(await readFile(join(dir, 'image_embeddings.npy')));
}

export async function writeMatrix(
  dir: string,
  data: Float32Array,
  rows: number,
  columns: number,
): Promise<void> {
  await writeFile(join(dir, 'image_embeddings.npy'), encodeFloat32Matrix(data, rows, columns));
}

export async function readNames(dir: string): Promise<string[]> {
  return readUnicodeArray(await readFile(join(dir, 'image_filenames.npy')));
}

export async function writeNames(dir: string, names: string[]): Promise<void> {
  await writeFile(join(dir, 'image_filenames.npy'), encodeUnicodeArray(names));
}

export async function editMetadata(dir: string, edit: (metadata: EmbedMetadata) => void): Promise<void> {
  const path = join(dir, 'metadata.json');
  const metadata = JSON.parse(await readFile(path, 'utf8'));
  edit(metadata);
  await writeFile(path, JSON.stringify(metadata, null, 2));
}

/** Removes metadata.json's `files` (as outputs of versions before the fingerprints have it). */
export function dropFingerprints(dir: string): Promise<void> {
  return editMetadata(dir, (metadata) => {
    delete (metadata as Partial<EmbedMetadata>).files;
  });
}

export function validate(
  fixture: RunFixture,
  dir: string,
  options: Partial<ValidateOptions> = {},
): Promise<ValidationReport> {
  return validateOutputs({embeddingsDir: dir, modelsDir: fixture.modelsDir, seed: 7, ...options});
}

export function statusOf(report: ValidationReport, id: CheckId) {
  const result = report.checks.find((check) => check.id === id);
  if (!result) throw new Error(`no result for ${id}`);
  return result;
}

/** A model folder under the fixture's models dir whose vision graph is a different network of width `dims`. */
export async function writeOtherModel(fixture: RunFixture, name: string, dims: number): Promise<void> {
  const {tinyVisionOnnx} = await import('./tiny-onnx.js');
  const dir = join(fixture.modelsDir, name);
  await mkdir(join(dir, 'onnx'), {recursive: true});
  await cp(join(TINY_CLIP, 'preprocessor_config.json'), join(dir, 'preprocessor_config.json'));
  await writeFile(join(dir, 'onnx', 'vision_model.onnx'), tinyVisionOnnx(dims));
}
