/**
 * Batch tensors in shared memory, reused. The preprocessing workers write pixels into them in place and the
 * inference workers read them without a transfer, so a batch costs no allocation after the first few: the
 * embed pipeline holds at most one batch in preparation and one per inference session.
 */
export interface TensorSlots {
  /** A tensor of `floats` values in a SharedArrayBuffer (not zeroed: every image overwrites its own region). */
  acquire(): Float32Array;
  /** Gives a tensor back once nothing reads it any more; extra ones are left to the garbage collector. */
  release(tensor: Float32Array): void;
}

/** `kept`: how many free tensors to keep for reuse (the most the caller holds at once). */
export function createTensorSlots(floats: number, kept: number): TensorSlots {
  const free: SharedArrayBuffer[] = [];
  const bytes = floats * Float32Array.BYTES_PER_ELEMENT;
  return {
    acquire() {
      return new Float32Array(free.pop() ?? new SharedArrayBuffer(bytes));
    },
    release(tensor) {
      const {buffer} = tensor;
      if (buffer instanceof SharedArrayBuffer && buffer.byteLength === bytes && free.length < kept) {
        if (!free.includes(buffer)) free.push(buffer);
      }
    },
  };
}
