/**
 * Batch tensors in shared memory, reused. The preprocessing workers write pixels into them in place and the
 * inference worker reads them without a transfer, so a batch costs no allocation after the first two: the
 * embed pipeline holds at most one batch in preparation and one in inference.
 */
const KEPT_FREE = 2;

export interface TensorSlots {
  /** A tensor of `floats` values in a SharedArrayBuffer (not zeroed: every image overwrites its own region). */
  acquire(): Float32Array;
  /** Gives a tensor back once nothing reads it any more; extra ones are left to the garbage collector. */
  release(tensor: Float32Array): void;
}

export function createTensorSlots(floats: number): TensorSlots {
  const free: SharedArrayBuffer[] = [];
  const bytes = floats * Float32Array.BYTES_PER_ELEMENT;
  return {
    acquire() {
      return new Float32Array(free.pop() ?? new SharedArrayBuffer(bytes));
    },
    release(tensor) {
      const {buffer} = tensor;
      if (buffer instanceof SharedArrayBuffer && buffer.byteLength === bytes && free.length < KEPT_FREE) {
        if (!free.includes(buffer)) free.push(buffer);
      }
    },
  };
}
