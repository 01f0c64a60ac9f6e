/** The dtypes a model folder can hold, and the graph file each one reads. */
import {UserError} from '../errors.js';

export type Dtype = 'fp32' | 'q8' | 'fp16';
export const DTYPES: readonly Dtype[] = ['fp32', 'q8', 'fp16'];

const DTYPE_SUFFIX: Record<Dtype, string> = {fp32: '', q8: '_quantized', fp16: '_fp16'};

export function isDtype(value: string): value is Dtype {
  return (DTYPES as readonly string[]).includes(value);
}

export function parseDtype(value: string): Dtype {
  if (isDtype(value)) return value;
  throw new UserError(`unknown dtype '${value}'`, `use --dtype ${DTYPES.join(', --dtype ')}`);
}

/** File of the vision or text graph for a dtype, relative to the model folder. */
export function modelFileFor(kind: 'vision' | 'text', dtype: Dtype): string {
  return `onnx/${kind}_model${DTYPE_SUFFIX[dtype]}.onnx`;
}
