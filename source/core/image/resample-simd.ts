/**
 * The torchvision resampler of resample.ts run as WebAssembly SIMD (resample-simd.wat): the same integer
 * arithmetic, so the same bytes, ~5x faster than the JavaScript loops. Returns false where WebAssembly SIMD is
 * missing; callers then use the JavaScript path.
 */

import type {ResizeWindow, RgbPixels} from './pixels.js';
import type {Coefficients} from './resample-coefficients.js';
import {RESAMPLE_SIMD_WASM} from './resample-simd-wasm.js';

// The WebAssembly global as far as it is used here (this project's TypeScript libs do not declare it).
interface WasmMemory {
  buffer: ArrayBuffer;
  grow(pages: number): number;
}
interface WasmApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object) => {exports: unknown};
}
const wasm = (globalThis as unknown as {WebAssembly?: WasmApi}).WebAssembly;

interface SimdExports {
  memory: WasmMemory;
  horizontal(...args: number[]): void;
  vertical(...args: number[]): void;
}

let compiled: object | null | undefined;
let exports: SimdExports | undefined;
/** WebAssembly memory only grows: after an image that needed more, the instance is dropped and made afresh. */
const KEPT_MEMORY_BYTES = 16 * 2 ** 20;
/** Input bytes copied in per horizontal call. */
const STRIP_BYTES = 256 * 2 ** 10;

function simd(): SimdExports | null {
  if (compiled === undefined) {
    try {
      if (!wasm) throw new Error('no WebAssembly');
      compiled = new wasm.Module(Buffer.from(RESAMPLE_SIMD_WASM, 'base64'));
    } catch {
      compiled = null;
    }
  }
  if (compiled === null || !wasm) return null;
  exports ??= new wasm.Instance(compiled).exports as SimdExports;
  return exports;
}

/** Whether the SIMD kernels load here (Node 16.4+ on x64 and arm64 has WebAssembly SIMD). */
export function resampleSimdAvailable(): boolean {
  return simd() !== null;
}

/** Per coefficients and stride: the weights as int16, each position's row padded with zeros to the stride. */
const weights16 = new WeakMap<Coefficients, Map<number, Int16Array>>();

function paddedWeights(k: Coefficients, stride: number): Int16Array {
  let byStride = weights16.get(k);
  if (!byStride) {
    byStride = new Map();
    weights16.set(k, byStride);
  }
  let padded = byStride.get(stride);
  if (!padded) {
    padded = new Int16Array(k.start.length * stride);
    for (let position = 0; position < k.start.length; position++) {
      const from = position * k.kernelSize;
      padded.set(k.weights.subarray(from, from + (k.taps[position] ?? 0)), position * stride);
    }
    byStride.set(stride, padded);
  }
  return padded;
}

/** Bump allocator over the module's memory, 16-byte aligned; every region gets 16 bytes of padding. */
class Arena {
  offset = 16;
  constructor(private readonly memory: WasmMemory) {}
  reserve(bytes: number): number {
    const at = this.offset;
    this.offset = Math.ceil((at + bytes + 16) / 16) * 16;
    return at;
  }
  commit(): Uint8Array {
    const missing = this.offset - this.memory.buffer.byteLength;
    if (missing > 0) this.memory.grow(Math.ceil(missing / 65536));
    return new Uint8Array(this.memory.buffer);
  }
}

interface Tables {
  start: number;
  taps: number;
  weights: number;
  kernelSize: number;
  precision: number;
}

/** `stride`: weights per position in the module's table (the horizontal kernel takes taps four at a time). */
function reserveTables(
  arena: Arena,
  k: Coefficients,
  stride: number,
): {place: (heap: Uint8Array) => void; tables: Tables} {
  const w = paddedWeights(k, stride);
  const tables = {
    start: arena.reserve(k.start.byteLength),
    taps: arena.reserve(k.taps.byteLength),
    weights: arena.reserve(w.byteLength),
    kernelSize: stride,
    precision: k.precision,
  };
  const place = (heap: Uint8Array) => {
    heap.set(new Uint8Array(k.start.buffer, k.start.byteOffset, k.start.byteLength), tables.start);
    heap.set(new Uint8Array(k.taps.buffer, k.taps.byteOffset, k.taps.byteLength), tables.taps);
    heap.set(new Uint8Array(w.buffer, w.byteOffset, w.byteLength), tables.weights);
  };
  return {place, tables};
}

/**
 * resampleRgbWindow's torchvision case: `horizontal`/`vertical` are the coefficients of the axes that change
 * (null: that axis keeps its size). Writes rows * columns * 3 bytes into `target`; false when SIMD is missing.
 * The image never enters the module's memory whole (which only grows): the horizontal pass reads it a strip of
 * rows at a time, and only the columns its taps reach, so a 2000x1500 photo needs ~1.5 MB there, not 11.
 */
export function resampleWindowSimd(
  image: RgbPixels,
  horizontal: Coefficients | null,
  vertical: Coefficients | null,
  window: ResizeWindow,
  target: Uint8ClampedArray,
): boolean {
  const module = simd();
  const {top, left, rows, columns} = window;
  const rowBytes = columns * 3;
  // The vertical kernel works in 16-byte chunks; windows narrower than 6 pixels take the JavaScript path.
  if (!module || rowBytes < 16 || (!horizontal && !vertical)) return false;
  // Input rows the vertical pass reads (the window's rows when only the width changes), and input columns
  // the horizontal taps reach (the window's columns when only the height changes).
  const firstRow = vertical ? (vertical.start[top] ?? 0) : top;
  const lastRow = vertical
    ? (vertical.start[top + rows - 1] ?? 0) + (vertical.taps[top + rows - 1] ?? 0)
    : top + rows;
  const firstColumn = horizontal ? (horizontal.start[left] ?? 0) : left;
  const lastColumn = horizontal
    ? (horizontal.start[left + columns - 1] ?? 0) + (horizontal.taps[left + columns - 1] ?? 0)
    : left + columns;
  const spanBytes = (lastColumn - firstColumn) * 3;
  // Even, because the horizontal kernel takes rows in pairs (an odd strip's last row is computed twice).
  const stripRows = Math.max(2, Math.floor(STRIP_BYTES / spanBytes / 2) * 2);

  const arena = new Arena(module.memory);
  const h = horizontal ? reserveTables(arena, horizontal, Math.ceil(horizontal.kernelSize / 4) * 4) : null;
  const v = vertical ? reserveTables(arena, vertical, vertical.kernelSize) : null;
  const stripAt = h ? arena.reserve(Math.min(stripRows, lastRow - firstRow) * spanBytes) : 0;
  // The vertical pass's input: the horizontal pass's output, or (height only) the input columns copied in.
  const middleAt = v ? arena.reserve((lastRow - firstRow) * rowBytes) : 0;
  const outAt = arena.reserve(rows * rowBytes);
  const heap = arena.commit();
  h?.place(heap);
  v?.place(heap);
  const stride = image.width * 3;
  const copyRows = (from: number, count: number, at: number) => {
    for (let row = 0; row < count; row++) {
      const source = (from + row) * stride + firstColumn * 3;
      heap.set(image.data.subarray(source, source + spanBytes), at + row * spanBytes);
    }
  };
  if (h) {
    const t = h.tables;
    const into = v ? middleAt : outAt;
    for (let row = firstRow; row < lastRow; row += stripRows) {
      const count = Math.min(stripRows, lastRow - row);
      copyRows(row, count, stripAt);
      // Column x of the strip's rows is at stripAt + (x - firstColumn) * 3 (i32 arithmetic wraps, so the
      // base may sit below address 0).
      module.horizontal(
        stripAt - firstColumn * 3,
        spanBytes,
        count,
        t.start,
        t.taps,
        t.kernelSize,
        t.weights,
        left,
        columns,
        t.precision,
        into + (row - firstRow) * rowBytes,
      );
    }
  } else {
    copyRows(firstRow, lastRow - firstRow, middleAt);
  }
  if (v) {
    const t = v.tables;
    module.vertical(
      middleAt,
      rowBytes,
      firstRow,
      t.start,
      t.taps,
      t.kernelSize,
      t.weights,
      top,
      rows,
      rowBytes,
      t.precision,
      outAt,
    );
  }
  target.set(new Uint8Array(module.memory.buffer, outAt, rows * rowBytes));
  if (module.memory.buffer.byteLength > KEPT_MEMORY_BYTES) exports = undefined;
  return true;
}

/** Bytes of WebAssembly memory the kernels hold now (0 before first use). */
export function resampleSimdMemoryBytes(): number {
  return exports?.memory.buffer.byteLength ?? 0;
}
