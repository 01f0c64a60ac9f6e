/** The graph file each dtype reads (the dtypes themselves are listed once, in core/enums.ts). */
import type {Dtype} from '../enums.js';

export {DTYPES, type Dtype, isDtype, parseDtype} from '../enums.js';

const DTYPE_SUFFIX: Record<Dtype, string> = {fp32: '', q8: '_quantized', fp16: '_fp16'};

/** File of the vision or text graph for a dtype, relative to the model folder. */
export function modelFileFor(kind: 'vision' | 'text', dtype: Dtype): string {
  return `onnx/${kind}_model${DTYPE_SUFFIX[dtype]}.onnx`;
}
