/**
 * Writes a small, valid ONNX vision graph by hand (protobuf encoded here, no onnx library in Node): pixel_values
 * float32 [batch, 3, 224, 224] -> mean over H and W -> MatMul with a seeded 3 x D matrix -> image_embeds [batch, D].
 * A "different model": same I/O contract as CLIP's vision graph, different weights, any width D.
 */

function varint(value: number): number[] {
  const bytes: number[] = [];
  let rest = value;
  while (rest > 0x7f) {
    bytes.push((rest & 0x7f) | 0x80);
    rest = Math.floor(rest / 128);
  }
  bytes.push(rest);
  return bytes;
}

const intField = (field: number, value: number) => [...varint(field << 3), ...varint(value)];

function bytesField(field: number, payload: number[] | Uint8Array): number[] {
  return [...varint((field << 3) | 2), ...varint(payload.length), ...payload];
}

const text = (field: number, value: string) => bytesField(field, [...Buffer.from(value, 'utf8')]);

function tensorType(dims: (number | string)[]): number[] {
  const shape = dims.flatMap((dim) =>
    bytesField(1, typeof dim === 'number' ? intField(1, dim) : text(2, dim)),
  );
  // TypeProto.tensor_type { elem_type FLOAT (1), shape }
  return bytesField(1, [...intField(1, 1), ...bytesField(2, shape)]);
}

const valueInfo = (name: string, dims: (number | string)[]) => [
  ...text(1, name),
  ...bytesField(2, tensorType(dims)),
];

function node(op: string, inputs: string[], outputs: string[], attributes: number[][] = []): number[] {
  return [
    ...inputs.flatMap((input) => text(1, input)),
    ...outputs.flatMap((output) => text(2, output)),
    ...text(4, op),
    ...attributes.flatMap((attribute) => bytesField(5, attribute)),
  ];
}

/** The ONNX bytes of the graph, with weights drawn from a seeded generator. */
export function tinyVisionOnnx(dims: number, seed = 1): Uint8Array {
  let state = seed;
  const weights = new Float32Array(3 * dims).map(() => {
    state = (state * 1103515245 + 12345) % 2147483648;
    return state / 2147483648 - 0.5;
  });
  // TensorProto: dims 3, D; data_type FLOAT; name; raw_data.
  const initializer = [
    ...intField(1, 3),
    ...intField(1, dims),
    ...intField(2, 1),
    ...text(8, 'projection'),
    ...bytesField(9, new Uint8Array(weights.buffer)),
  ];
  // AttributeProto: axes (INTS = 7) [2, 3]; keepdims (INT = 2) 0.
  const axes = [...text(1, 'axes'), ...intField(8, 2), ...intField(8, 3), ...intField(20, 7)];
  const keepdims = [...text(1, 'keepdims'), ...intField(3, 0), ...intField(20, 2)];
  const graph = [
    ...bytesField(1, node('ReduceMean', ['pixel_values'], ['pooled'], [axes, keepdims])),
    ...bytesField(1, node('MatMul', ['pooled', 'projection'], ['image_embeds'])),
    ...text(2, 'tiny-vision'),
    ...bytesField(5, initializer),
    ...bytesField(11, valueInfo('pixel_values', ['batch_size', 3, 224, 224])),
    ...bytesField(12, valueInfo('image_embeds', ['batch_size', dims])),
  ];
  // ModelProto: ir_version 8, producer, graph, opset_import {domain '', version 13}.
  const model = [
    ...intField(1, 8),
    ...text(2, 'visual-cortex-tests'),
    ...bytesField(7, graph),
    ...bytesField(8, intField(2, 13)),
  ];
  return Uint8Array.from(model);
}
