/**
 * The one module that touches onnxruntime-node. Sessions are long-lived; options are set deliberately
 * (threads bounded to the cores we are given, full graph optimisation, sequential execution).
 * Note: onnxruntime-node's session.run is synchronous inside a setImmediate, so callers that must keep an event
 * loop responsive run sessions in a worker thread (see inference-worker.ts).
 */
import {existsSync} from 'node:fs';
import {createRequire} from 'node:module';
import {join} from 'node:path';
import * as ort from 'onnxruntime-node';
import {DEVICES, type Device} from '../enums.js';
import {UserError} from '../errors.js';
import {identityGraph} from './probe-graph.js';

export {DEVICES, type Device};

export interface DeviceAvailability {
  device: Device;
  available: boolean;
  /** Why it is not available and how to enable it. */
  reason?: string;
}

const ENABLE_HINTS: Record<Device, string> = {
  cpu: '',
  cuda: 'install the CUDA build of onnxruntime-node: ONNXRUNTIME_NODE_INSTALL=cuda12 npm rebuild onnxruntime-node (needs CUDA 12 and cuDNN 9)',
  coreml: 'CoreML is only available on macOS',
  dml: 'DirectML is only available on Windows',
  webgpu: 'WebGPU needs a GPU driver with Vulkan/D3D12/Metal support',
};

export function deviceAvailability(): DeviceAvailability[] {
  const backends = new Map(ort.listSupportedBackends().map((backend) => [backend.name, backend.bundled]));
  return DEVICES.map((device) => {
    if (device === 'cpu') return {device, available: true};
    const bundled = backends.get(device);
    if (bundled === undefined)
      return {device, available: false, reason: `not built for this platform; ${ENABLE_HINTS[device]}`};
    if (bundled) return {device, available: true};
    return {device, available: false, reason: `not installed; ${ENABLE_HINTS[device]}`};
  });
}

/** The first line of an onnxruntime error, from its own words ("Failed to get a WebGPU adapter: ...") when it has them. */
function shortReason(error: unknown): string {
  const line = (error instanceof Error ? error.message : String(error)).split('\n')[0] ?? '';
  const from = line.indexOf('Failed to');
  const reason = (from >= 0 ? line.slice(from) : line).replace(/Warning:.*$/, '').trim();
  return reason.length > 100 ? `${reason.slice(0, 99)}…` : reason;
}

/**
 * Which devices can run here: those built in (deviceAvailability) that also start a session on a one-node graph,
 * so a bundled WebGPU without a usable GPU is offered as unavailable, with why, instead of failing at model load.
 */
export async function probeDevices(): Promise<DeviceAvailability[]> {
  return Promise.all(
    deviceAvailability().map(async (entry) => {
      if (!entry.available || entry.device === 'cpu') return entry;
      // Dawn prints a Vulkan warning straight to stderr (over the dashboard) when it has no loader to open.
      if (entry.device === 'webgpu' && process.platform === 'linux' && !hasVulkanLoader())
        return {
          device: entry.device,
          available: false,
          reason: `cannot start here (no Vulkan loader, libvulkan.so.1); ${ENABLE_HINTS[entry.device]}`,
        };
      try {
        const session = await ort.InferenceSession.create(identityGraph(), {
          executionProviders: [entry.device],
        });
        await session.release();
        return entry;
      } catch (error) {
        return {
          device: entry.device,
          available: false,
          reason: `cannot start here (${shortReason(error)}); ${ENABLE_HINTS[entry.device]}`,
        };
      }
    }),
  );
}

const LIBRARY_DIRS = [
  '/usr/lib/x86_64-linux-gnu',
  '/usr/lib/aarch64-linux-gnu',
  '/usr/lib64',
  '/usr/lib',
  '/lib/x86_64-linux-gnu',
  '/lib/aarch64-linux-gnu',
];

function hasVulkanLoader(): boolean {
  const extra = (process.env.LD_LIBRARY_PATH ?? '').split(':').filter(Boolean);
  return [...extra, ...LIBRARY_DIRS].some((dir) => existsSync(join(dir, 'libvulkan.so.1')));
}

export function assertDeviceAvailable(device: Device): void {
  const entry = deviceAvailability().find((candidate) => candidate.device === device);
  if (!entry?.available) {
    throw new UserError(
      `device '${device}' is not available here: ${entry?.reason ?? 'unknown device'}`,
      'use --device cpu',
    );
  }
}

export interface TensorInfo {
  name: string;
  type: string;
  /** Dimensions; symbolic ones (batch, sequence) as strings, unknown as -1. */
  shape: (number | string)[];
}

export interface SessionOptions {
  device?: Device;
  intraOpThreads?: number;
  /**
   * Whether idle intra-op threads spin waiting for work (onnxruntime's default: true). Spinning burns the cores
   * that decoding on other threads needs; turn it off when inference overlaps other CPU work.
   */
  allowSpinning?: boolean;
  /** onnxruntime's CPU memory arena (default true): faster reuse, but it keeps its high-water mark resident. */
  memoryArena?: boolean;
  /**
   * Pre-packing weights for the CPU GEMM kernels (default true): a packed copy of every weight, kept in
   * anonymous memory. Off, weights stay in the memory-mapped external data file.
   */
  prepacking?: boolean;
}

export interface Feed {
  type: 'float32' | 'int64';
  data: Float32Array | BigInt64Array;
  dims: number[];
}

export interface OnnxSession {
  inputs: TensorInfo[];
  outputs: TensorInfo[];
  run(feeds: Record<string, Feed>): Promise<Record<string, {data: Float32Array; dims: number[]}>>;
  release(): Promise<void>;
}

export async function openSession(modelPath: string, options: SessionOptions = {}): Promise<OnnxSession> {
  const device = options.device ?? 'cpu';
  assertDeviceAvailable(device);
  let session: ort.InferenceSession;
  try {
    session = await ort.InferenceSession.create(modelPath, {
      executionProviders: [device],
      graphOptimizationLevel: 'all',
      executionMode: 'sequential',
      intraOpNumThreads: options.intraOpThreads ?? 0,
      interOpNumThreads: 1,
      ...(options.memoryArena === false ? {enableCpuMemArena: false} : {}),
      ...sessionConfigEntries(options),
    });
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    // A provider that cannot start (no GPU for WebGPU) is not a damaged model file.
    const probe = device === 'cpu' ? [] : await probeDevices();
    const unusable = probe.find((entry) => entry.device === device && !entry.available);
    if (unusable)
      throw new UserError(`device '${device}' ${unusable.reason ?? 'cannot run here'}`, 'use --device cpu');
    throw new UserError(
      `cannot load ONNX model ${modelPath}: ${message.split('\n')[0]}`,
      'check that the file is complete (re-pull the model)',
    );
  }
  const describe = (metadata: readonly ort.InferenceSession.ValueMetadata[]): TensorInfo[] =>
    metadata.map((value) =>
      value.isTensor
        ? {
            name: value.name,
            type: String(value.type),
            shape: value.shape.map((dim) => (typeof dim === 'number' ? dim : String(dim))),
          }
        : {name: value.name, type: 'non-tensor', shape: []},
    );
  return {
    inputs: describe(session.inputMetadata),
    outputs: describe(session.outputMetadata),
    async run(feeds) {
      const tensors: Record<string, ort.Tensor> = {};
      for (const [name, feed] of Object.entries(feeds))
        tensors[name] = new ort.Tensor(feed.type, feed.data, feed.dims);
      const results = await session.run(tensors);
      const out: Record<string, {data: Float32Array; dims: number[]}> = {};
      for (const [name, tensor] of Object.entries(results)) {
        out[name] = {data: tensor.data as Float32Array, dims: [...tensor.dims]};
      }
      return out;
    },
    release: () => session.release(),
  };
}

/** onnxruntime's session config entries (onnxruntime_session_options_config_keys.h) for the tuning options. */
function sessionConfigEntries(options: SessionOptions): {extra?: Record<string, unknown>} {
  const session: Record<string, unknown> = {};
  if (options.allowSpinning !== undefined)
    session.intra_op = {allow_spinning: options.allowSpinning ? '1' : '0'};
  if (options.prepacking === false) session.disable_prepacking = '1';
  return Object.keys(session).length > 0 ? {extra: {session}} : {};
}

export function onnxRuntimeVersion(): string {
  const require = createRequire(import.meta.url);
  return (require('onnxruntime-node/package.json') as {version: string}).version;
}
