/**
 * The smallest ONNX model (one float through an Identity node), encoded by hand: opening a session with it on an
 * execution provider shows whether that provider can run here (a bundled WebGPU without a GPU cannot).
 */
function varint(value: number): number[] {
  const bytes: number[] = [];
  let rest = value;
  while (rest > 0x7f) {
    bytes.push((rest & 0x7f) | 0x80);
    rest >>>= 7;
  }
  bytes.push(rest);
  return bytes;
}

const int = (field: number, value: number): number[] => [...varint(field << 3), ...varint(value)];
const bytes = (field: number, payload: number[]): number[] => [
  ...varint((field << 3) | 2),
  ...varint(payload.length),
  ...payload,
];
const text = (field: number, value: string): number[] => bytes(field, [...new TextEncoder().encode(value)]);

/** ValueInfoProto of a float tensor of shape [1]. */
function floatValue(name: string): number[] {
  const shape = bytes(2, bytes(1, int(1, 1)));
  const tensor = bytes(1, [...int(1, 1), ...shape]);
  return [...text(1, name), ...bytes(2, tensor)];
}

export function identityGraph(): Uint8Array {
  const node = [...text(1, 'x'), ...text(2, 'y'), ...text(4, 'Identity')];
  const graph = [
    ...bytes(1, node),
    ...text(2, 'probe'),
    ...bytes(11, floatValue('x')),
    ...bytes(12, floatValue('y')),
  ];
  const opset = [...text(1, ''), ...int(2, 13)];
  return Uint8Array.from([...int(1, 7), ...bytes(7, graph), ...bytes(8, opset)]);
}
