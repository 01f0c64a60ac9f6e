/**
 * NumPy .npy format, version 1.0 (https://numpy.org/doc/stable/reference/generated/numpy.lib.format.html).
 * Only what this tool writes and reads: little-endian float32 matrices and fixed-width unicode arrays.
 */
const MAGIC = Uint8Array.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]);

/**
 * Magic, version, header length and the header dict, padded with spaces and '\n' to a multiple of 64 bytes, and
 * to at least `minimumBytes` (numpy reads any amount of padding).
 */
function npyHeader(descr: string, shape: readonly number[], minimumBytes = 0): Uint8Array {
  const shapeText = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  let header = `{'descr': '${descr}', 'fortran_order': False, 'shape': ${shapeText}, }`;
  const unpadded = 10 + header.length + 1;
  header += ' '.repeat(Math.max(minimumBytes - unpadded, (64 - (unpadded % 64)) % 64));
  header += '\n';
  const out = new Uint8Array(10 + header.length);
  out.set(MAGIC, 0);
  out[6] = 1;
  out[7] = 0;
  new DataView(out.buffer).setUint16(8, header.length, true);
  out.set(Buffer.from(header, 'latin1'), 10);
  return out;
}

function encodeWithHeader(descr: string, shape: readonly number[], payload: Uint8Array): Uint8Array {
  const header = npyHeader(descr, shape);
  const out = new Uint8Array(header.byteLength + payload.byteLength);
  out.set(header, 0);
  out.set(payload, header.byteLength);
  return out;
}

export function encodeFloat32Matrix(data: Float32Array, rows: number, columns: number): Uint8Array {
  if (data.length !== rows * columns)
    throw new Error(`matrix has ${data.length} values, expected ${rows}x${columns}`);
  const payload = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  return encodeWithHeader('<f4', [rows, columns], payload);
}

/**
 * The header of a rows x columns float32 matrix, `minimumBytes` long at least: a writer that streams the rows
 * reserves the header for the most rows it may write, then writes the real one over it (see npy-stream.ts).
 */
export function float32MatrixHeader(rows: number, columns: number, minimumBytes = 0): Uint8Array {
  return npyHeader('<f4', [rows, columns], minimumBytes);
}

/** A numpy `<U{n}` array: each string is n UTF-32LE code points, zero-padded. Loads with allow_pickle=False. */
export function encodeUnicodeArray(values: readonly string[]): Uint8Array {
  const codePoints = values.map((value) => Array.from(value, (char) => char.codePointAt(0) ?? 0));
  const width = Math.max(1, ...codePoints.map((points) => points.length));
  const payload = new Uint8Array(values.length * width * 4);
  const view = new DataView(payload.buffer);
  codePoints.forEach((points, row) => {
    for (const [column, point] of points.entries()) view.setUint32((row * width + column) * 4, point, true);
  });
  return encodeWithHeader(`<U${width}`, [values.length], payload);
}

export interface NpyArray {
  descr: string;
  fortranOrder: boolean;
  shape: number[];
  /** The raw little-endian payload. */
  payload: Uint8Array;
}

export class NpyFormatError extends Error {
  override readonly name = 'NpyFormatError';
}

export function parseNpy(bytes: Uint8Array): NpyArray {
  if (bytes.length < 10 || !MAGIC.every((byte, index) => bytes[index] === byte)) {
    throw new NpyFormatError('not a .npy file (bad magic number)');
  }
  const major = bytes[6];
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLength = major === 1 ? view.getUint16(8, true) : view.getUint32(8, true);
  const headerStart = major === 1 ? 10 : 12;
  if (headerStart + headerLength > bytes.length) throw new NpyFormatError('truncated .npy header');
  const header = Buffer.from(bytes.subarray(headerStart, headerStart + headerLength)).toString('latin1');
  const descr = /'descr':\s*'([^']+)'/.exec(header)?.[1];
  const fortran = /'fortran_order':\s*(True|False)/.exec(header)?.[1];
  const shapeText = /'shape':\s*\(([^)]*)\)/.exec(header)?.[1];
  if (descr === undefined || fortran === undefined || shapeText === undefined) {
    throw new NpyFormatError(`unreadable .npy header: ${header.trim()}`);
  }
  const shape = shapeText
    .split(',')
    .map((part) => part.trim())
    .filter((part) => part.length > 0)
    .map(Number);
  const payload = bytes.subarray(headerStart + headerLength);
  const count = shape.reduce((product, size) => product * size, 1);
  const itemSize = itemSizeOf(descr);
  if (payload.length !== count * itemSize) {
    throw new NpyFormatError(`.npy payload is ${payload.length} bytes, header promises ${count * itemSize}`);
  }
  return {descr, fortranOrder: fortran === 'True', shape, payload};
}

function itemSizeOf(descr: string): number {
  const unicode = /^[<|]U(\d+)$/.exec(descr);
  if (unicode) return 4 * Number(unicode[1]);
  const numeric = /^[<>|=]?[fiub](\d+)$/.exec(descr);
  if (numeric) return Number(numeric[1]);
  throw new NpyFormatError(`unsupported .npy dtype ${descr}`);
}

export function readFloat32Matrix(bytes: Uint8Array): {data: Float32Array; rows: number; columns: number} {
  const array = parseNpy(bytes);
  if (array.descr !== '<f4') throw new NpyFormatError(`expected float32 (<f4), found ${array.descr}`);
  if (array.shape.length !== 2 || array.fortranOrder)
    throw new NpyFormatError('expected a C-order 2-D matrix');
  const copy = new Uint8Array(array.payload); // aligned copy
  return {data: new Float32Array(copy.buffer), rows: array.shape[0] ?? 0, columns: array.shape[1] ?? 0};
}

export function readUnicodeArray(bytes: Uint8Array): string[] {
  const array = parseNpy(bytes);
  const width = /^[<|]U(\d+)$/.exec(array.descr)?.[1];
  if (width === undefined) throw new NpyFormatError(`expected a unicode array (<U), found ${array.descr}`);
  if (array.shape.length !== 1) throw new NpyFormatError('expected a 1-D unicode array');
  const view = new DataView(array.payload.buffer, array.payload.byteOffset, array.payload.byteLength);
  const values: string[] = [];
  const n = Number(width);
  for (let row = 0; row < (array.shape[0] ?? 0); row++) {
    let text = '';
    for (let column = 0; column < n; column++) {
      const point = view.getUint32((row * n + column) * 4, true);
      if (point === 0) break;
      text += String.fromCodePoint(point);
    }
    values.push(text);
  }
  return values;
}
