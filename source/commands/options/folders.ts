/**
 * The two folders every command speaks of: `--images DIR` and `--embeddings DIR` (imagesDir / embeddingsDir in
 * code). Each command passes its own old spellings, which stay accepted but are never shown in --help: the same
 * old name meant different folders in different commands (`embed --output` was the embeddings folder).
 */
import {RUN_DEFAULTS} from '../../core/run/run-setup.js';

/** `--images DIR`, defaulting to data/images; `oldNames` are the command's former spellings (kebab-case). */
export function imagesFlag(...oldNames: string[]) {
  return {
    type: 'string' as const,
    default: RUN_DEFAULTS.imagesDir as string,
    aliases: ['images', ...oldNames],
  };
}

/** `--images DIR` with no default (the command has its own fallback). */
export function optionalImagesFlag(...oldNames: string[]) {
  return {type: 'string' as const, aliases: ['images', ...oldNames]};
}

/** `--embeddings DIR`, defaulting to data/embeddings; `oldNames` are the command's former spellings. */
export function embeddingsFlag(...oldNames: string[]) {
  return {
    type: 'string' as const,
    default: RUN_DEFAULTS.embeddingsDir as string,
    aliases: ['embeddings', ...oldNames],
  };
}

/** `--embeddings DIR` with no default (the command has its own fallback). */
export function optionalEmbeddingsFlag(...oldNames: string[]) {
  return {type: 'string' as const, aliases: ['embeddings', ...oldNames]};
}

export const IMAGES_HELP = `--images DIR          the images folder (default ${RUN_DEFAULTS.imagesDir})`;
export const EMBEDDINGS_HELP = `--embeddings DIR      the embeddings folder: image_embeddings.npy, image_filenames.npy, metadata.json (default ${RUN_DEFAULTS.embeddingsDir})`;
