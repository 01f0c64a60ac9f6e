import assert from 'node:assert/strict';
import {test} from 'node:test';
import {createTensorSlots} from '../../source/core/embed/tensor-slots.js';

test('batch tensors are shared memory, reused once released, and at most `kept` are kept free', () => {
  const slots = createTensorSlots(12, 2);
  const first = slots.acquire();
  const second = slots.acquire();
  assert.ok(first.buffer instanceof SharedArrayBuffer);
  assert.equal(first.length, 12);
  assert.notEqual(first.buffer, second.buffer);
  // A view of a slot (a batch with failures is a prefix) gives the whole slot back, once.
  slots.release(first.subarray(0, 4));
  slots.release(first);
  const third = slots.acquire();
  assert.equal(third.buffer, first.buffer);
  assert.notEqual(slots.acquire().buffer, first.buffer);
  // Tensors from elsewhere (a one-off larger batch, ordinary memory) are not pooled.
  slots.release(new Float32Array(new SharedArrayBuffer(48 * 4)));
  slots.release(new Float32Array(12));
  const extra = [slots.acquire(), slots.acquire(), slots.acquire()];
  for (const tensor of extra) slots.release(tensor);
  const reused = new Set([slots.acquire().buffer, slots.acquire().buffer, slots.acquire().buffer]);
  assert.equal(extra.filter((tensor) => reused.has(tensor.buffer)).length, 2);
});
