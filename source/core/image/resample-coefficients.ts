/**
 * The resampling filters of the two reference resizers (Pillow's and torch's) and the integer weights they give
 * every output position along one axis, computed as each reference computes them (resample.ts cites the sources)
 * and cached per size, since a folder's images mostly share a few sizes.
 */
export type ResampleFlavour = 'torchvision' | 'pil';

/** Pillow's `Image.Resampling` numbers, as stored in preprocessor_config.json's `resample`. */
export const PIL_RESAMPLE = {nearest: 0, lanczos: 1, bilinear: 2, bicubic: 3, box: 4, hamming: 5} as const;

interface Filter {
  support: number;
  weight: (x: number) => number;
}

const HAMMING_A = Math.fround(0.54); // `0.54f` and `0.46f` in C: float constants promoted to double
const HAMMING_B = Math.fround(0.46);

function sinc(x: number): number {
  if (x === 0) return 1;
  const px = x * Math.PI;
  return Math.sin(px) / px;
}

const bilinear: Filter = {support: 1, weight: (x) => Math.max(0, 1 - Math.abs(x))};

/** Pillow's bicubic_filter (a = -0.5). */
const pilBicubic: Filter = {
  support: 2,
  weight: (x) => {
    const a = -0.5;
    const ax = Math.abs(x);
    if (ax < 1) return ((a + 2) * ax - (a + 3)) * ax * ax + 1;
    if (ax < 2) return (((ax - 5) * ax + 8) * ax - 4) * a;
    return 0;
  },
};

/** torch's HelperInterpCubic::aa_filter: cubic_convolution1/2 of UpSample.h with A = -0.5 (same curve, other rounding). */
const torchBicubic: Filter = {
  support: 2,
  weight: (x) => {
    const a = -0.5;
    const ax = Math.abs(x);
    if (ax < 1) return ((a + 2) * ax - (a + 3)) * ax * ax + 1;
    if (ax < 2) return ((a * ax - 5 * a) * ax + 8 * a) * ax - 4 * a;
    return 0;
  },
};

const PIL_FILTERS: ReadonlyMap<number, Filter> = new Map<number, Filter>([
  [PIL_RESAMPLE.box, {support: 0.5, weight: (x) => (x > -0.5 && x <= 0.5 ? 1 : 0)}],
  [PIL_RESAMPLE.bilinear, bilinear],
  [
    PIL_RESAMPLE.hamming,
    {
      support: 1,
      weight: (x) => {
        const ax = Math.abs(x);
        if (ax === 0) return 1;
        if (ax >= 1) return 0;
        const px = ax * Math.PI;
        return (Math.sin(px) / px) * (HAMMING_A + HAMMING_B * Math.cos(px));
      },
    },
  ],
  [PIL_RESAMPLE.bicubic, pilBicubic],
  [PIL_RESAMPLE.lanczos, {support: 3, weight: (x) => (x >= -3 && x < 3 ? sinc(x) * sinc(x / 3) : 0)}],
]);

// torch has no box/hamming; transformers' torchvision backend replaces LANCZOS with BICUBIC (with a warning).
const TORCH_FILTERS: ReadonlyMap<number, Filter> = new Map<number, Filter>([
  [PIL_RESAMPLE.bilinear, bilinear],
  [PIL_RESAMPLE.bicubic, torchBicubic],
  [PIL_RESAMPLE.lanczos, torchBicubic],
]);

export function isSupportedResample(resample: number, flavour: ResampleFlavour): boolean {
  return (flavour === 'pil' ? PIL_FILTERS : TORCH_FILTERS).has(resample);
}

const PIL_PRECISION_BITS = 32 - 8 - 2;

/** Integer weights for every output position along one axis. */
export interface Coefficients {
  /** Per output position: first input index and number of taps. */
  start: Int32Array;
  taps: Int32Array;
  kernelSize: number;
  weights: Int32Array;
  precision: number;
}

function computeCoefficients(
  inSize: number,
  outSize: number,
  filter: Filter,
  flavour: ResampleFlavour,
): Coefficients {
  const scale = inSize / outSize;
  const filterScale = Math.max(1, scale);
  const support = filter.support * filterScale;
  const kernelSize = Math.ceil(support) * 2 + 1;
  const start = new Int32Array(outSize);
  const taps = new Int32Array(outSize);
  const real = new Float64Array(outSize * kernelSize);
  const inverseScale = 1 / filterScale;
  let maxWeight = 0;
  for (let i = 0; i < outSize; i++) {
    const center = (i + 0.5) * scale;
    const xmin = Math.max(0, Math.trunc(center - support + 0.5));
    let xmax = Math.min(inSize, Math.trunc(center + support + 0.5)) - xmin;
    if (flavour === 'torchvision') xmax = Math.min(Math.max(xmax, 0), kernelSize);
    const base = i * kernelSize;
    let total = 0;
    for (let x = 0; x < xmax; x++) {
      const w = filter.weight((x + xmin - center + 0.5) * inverseScale);
      real[base + x] = w;
      total += w;
    }
    if (total !== 0) {
      for (let x = 0; x < xmax; x++) {
        real[base + x] = real[base + x]! / total;
        maxWeight = Math.max(maxWeight, real[base + x]!);
      }
    }
    start[i] = xmin;
    taps[i] = xmax;
  }
  const precision = flavour === 'pil' ? PIL_PRECISION_BITS : torchPrecision(maxWeight);
  const one = 2 ** precision;
  const weights = new Int32Array(real.length);
  for (let j = 0; j < real.length; j++) {
    const w = real[j]! * one;
    weights[j] = w < 0 ? Math.trunc(-0.5 + w) : Math.trunc(0.5 + w);
  }
  return {start, taps, kernelSize, weights, precision};
}

/** The most bits that keep every weight inside int16 (torch's _compute_index_ranges_int16_weights). */
function torchPrecision(maxWeight: number): number {
  let precision = 0;
  for (; precision < 22; precision++) {
    if (Math.trunc(0.5 + maxWeight * 2 ** (precision + 1)) >= 1 << 15) break;
  }
  return precision;
}

const coefficientCache = new Map<string, Coefficients>();

/** Images of one size share coefficients; a handful of recent sizes stay cached. */
export function coefficientsFor(
  inSize: number,
  outSize: number,
  resample: number,
  flavour: ResampleFlavour,
): Coefficients {
  const key = `${flavour}:${resample}:${inSize}:${outSize}`;
  let found = coefficientCache.get(key);
  if (!found) {
    const filter = (flavour === 'pil' ? PIL_FILTERS : TORCH_FILTERS).get(resample);
    if (!filter) throw new Error(`resample filter ${resample} is not supported by the ${flavour} resampler`);
    found = computeCoefficients(inSize, outSize, filter, flavour);
    if (coefficientCache.size >= 16) coefficientCache.delete(coefficientCache.keys().next().value!);
  }
  coefficientCache.delete(key);
  coefficientCache.set(key, found);
  return found;
}
