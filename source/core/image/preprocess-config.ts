/**
 * preprocessor_config.json (Hugging Face CLIPImageProcessor format) read into the settings preprocessing uses,
 * with transformers' defaults for missing fields.
 */
import {UserError} from '../errors.js';
import {isSupportedResample, PIL_RESAMPLE, type ResampleFlavour} from './resample-coefficients.js';

export interface PreprocessConfig {
  shortestEdge: number;
  cropHeight: number;
  cropWidth: number;
  mean: [number, number, number];
  std: [number, number, number];
  rescaleFactor: number;
  resample: number;
  doResize: boolean;
  doCenterCrop: boolean;
  doRescale: boolean;
  doNormalize: boolean;
  doConvertRgb: boolean;
  /** Set when preprocessor_config.json's `size` is `{height, width}`: resize to exactly that, ignoring aspect. */
  resizeHeight?: number;
  resizeWidth?: number;
  /** Whose arithmetic to reproduce; default 'torchvision' (transformers 5's CLIPImageProcessor). */
  resampler?: ResampleFlavour;
}

const OPENAI_CLIP_MEAN: [number, number, number] = [0.48145466, 0.4578275, 0.40821073];
const OPENAI_CLIP_STD: [number, number, number] = [0.26862954, 0.26130258, 0.27577711];

export function tensorLength(config: PreprocessConfig): number {
  return 3 * config.cropHeight * config.cropWidth;
}

/** Reads preprocessor_config.json (already JSON-parsed), with transformers' CLIPImageProcessor defaults. */
export function parsePreprocessorConfig(
  json: unknown,
  source = 'preprocessor_config.json',
): PreprocessConfig {
  const fail = (field: string, problem: string): never => {
    throw new UserError(
      `${source}: "${field}" ${problem}`,
      'Use a CLIP model folder whose preprocessor_config.json follows the Hugging Face CLIPImageProcessor format.',
    );
  };
  if (typeof json !== 'object' || json === null || Array.isArray(json))
    fail('(root)', 'is not a JSON object');
  const raw = json as Record<string, unknown>;
  const flag = (field: string, fallback: boolean): boolean => {
    const value = raw[field];
    if (value === undefined || value === null) return fallback;
    if (typeof value !== 'boolean') fail(field, `must be true or false, found ${JSON.stringify(value)}`);
    return value as boolean;
  };
  const positiveInt = (field: string, value: unknown): number => {
    if (typeof value !== 'number' || !Number.isInteger(value) || value <= 0) {
      fail(field, `must be a positive integer, found ${JSON.stringify(value)}`);
    }
    return value as number;
  };
  const triple = (field: string, fallback: [number, number, number], positive: boolean) => {
    const value = raw[field];
    if (value === undefined || value === null) return fallback;
    const list = typeof value === 'number' ? [value, value, value] : value;
    if (
      !Array.isArray(list) ||
      list.length !== 3 ||
      !list.every((v) => typeof v === 'number' && Number.isFinite(v))
    ) {
      fail(field, `must be a number or a list of 3 numbers, found ${JSON.stringify(value)}`);
    }
    const numbers = list as [number, number, number];
    if (positive && numbers.some((v) => v <= 0)) fail(field, 'must be greater than zero');
    return numbers;
  };

  const doResize = flag('do_resize', true);
  const doCenterCrop = flag('do_center_crop', true);
  let shortestEdge = 224;
  let resizeHeight: number | undefined;
  let resizeWidth: number | undefined;
  const size = raw.size ?? {shortest_edge: 224};
  if (typeof size === 'number') shortestEdge = positiveInt('size', size);
  else if (typeof size === 'object' && size !== null && 'shortest_edge' in size) {
    shortestEdge = positiveInt('size.shortest_edge', (size as {shortest_edge: unknown}).shortest_edge);
  } else if (typeof size === 'object' && size !== null && 'height' in size && 'width' in size) {
    const exact = size as {height: unknown; width: unknown};
    resizeHeight = positiveInt('size.height', exact.height);
    resizeWidth = positiveInt('size.width', exact.width);
    shortestEdge = Math.min(resizeHeight, resizeWidth);
  } else
    fail('size', `must be {"shortest_edge": n} or {"height": h, "width": w}, found ${JSON.stringify(size)}`);

  let cropHeight = 224;
  let cropWidth = 224;
  const crop = raw.crop_size ?? {height: 224, width: 224};
  if (typeof crop === 'number') cropHeight = cropWidth = positiveInt('crop_size', crop);
  else if (typeof crop === 'object' && crop !== null && 'height' in crop && 'width' in crop) {
    cropHeight = positiveInt('crop_size.height', (crop as {height: unknown}).height);
    cropWidth = positiveInt('crop_size.width', (crop as {width: unknown}).width);
  } else if (typeof crop === 'object' && crop !== null && 'shortest_edge' in crop) {
    // transformers' get_size_dict(default_to_square=True) turns a lone edge into a square.
    cropHeight = cropWidth = positiveInt(
      'crop_size.shortest_edge',
      (crop as {shortest_edge: unknown}).shortest_edge,
    );
  } else fail('crop_size', `must be a number or {"height": h, "width": w}, found ${JSON.stringify(crop)}`);
  if (!doCenterCrop) {
    // Without a crop the output size is the resized size, which must be fixed for a batched model input.
    if (!doResize || resizeHeight === undefined || resizeWidth === undefined) {
      fail(
        'do_center_crop',
        'is false without a fixed {"height", "width"} size: output sizes would vary per image',
      );
    }
    cropHeight = resizeHeight as number;
    cropWidth = resizeWidth as number;
  }

  const resample = raw.resample ?? PIL_RESAMPLE.bicubic;
  if (typeof resample !== 'number' || !isSupportedResample(resample, 'pil')) {
    fail(
      'resample',
      `must be a PIL filter 1-5 (LANCZOS, BILINEAR, BICUBIC, BOX, HAMMING), found ${JSON.stringify(resample)}`,
    );
  }
  // torch has no BOX or HAMMING filter; for those only the PIL backend is a reference.
  const resampler: ResampleFlavour = isSupportedResample(resample as number, 'torchvision')
    ? 'torchvision'
    : 'pil';
  const rescaleFactor = raw.rescale_factor ?? 1 / 255;
  if (typeof rescaleFactor !== 'number' || !Number.isFinite(rescaleFactor) || rescaleFactor <= 0) {
    fail('rescale_factor', `must be a positive number, found ${JSON.stringify(rescaleFactor)}`);
  }
  return {
    shortestEdge,
    cropHeight,
    cropWidth,
    mean: triple('image_mean', OPENAI_CLIP_MEAN, false),
    std: triple('image_std', OPENAI_CLIP_STD, true),
    rescaleFactor: rescaleFactor as number,
    resample: resample as number,
    doResize,
    doCenterCrop,
    doRescale: flag('do_rescale', true),
    doNormalize: flag('do_normalize', true),
    doConvertRgb: flag('do_convert_rgb', true),
    ...(resizeHeight !== undefined ? {resizeHeight, resizeWidth} : {}),
    resampler,
  };
}
