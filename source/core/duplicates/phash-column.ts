/**
 * A column of optional 64-bit perceptual hashes in typed arrays (two uint32 words per row): a million rows take
 * 9 MB and compare without bigint arithmetic. Rows without a hash (an image that failed to decode, a shard made
 * before hashes were stored) are marked absent and never match.
 */
import {phashFromWords, phashWords} from '../image/phash.js';

export interface PhashColumn {
  hi: Uint32Array;
  lo: Uint32Array;
  /** 1 where the row has a hash. */
  present: Uint8Array;
}

/** A hash as a bigint or as its [high, low] 32-bit words; null or undefined when the row has none. */
export type PhashValue = bigint | readonly [hi: number, lo: number] | null | undefined;

export function phashColumn(values: readonly PhashValue[]): PhashColumn {
  const column: PhashColumn = {
    hi: new Uint32Array(values.length),
    lo: new Uint32Array(values.length),
    present: new Uint8Array(values.length),
  };
  values.forEach((value, row) => {
    if (value === null || value === undefined) return;
    const [hi, lo] = typeof value === 'bigint' ? phashWords(value) : value;
    column.hi[row] = hi;
    column.lo[row] = lo;
    column.present[row] = 1;
  });
  return column;
}

export function phashAt(column: PhashColumn, row: number): bigint | undefined {
  return column.present[row] ? phashFromWords(column.hi[row]!, column.lo[row]!) : undefined;
}
