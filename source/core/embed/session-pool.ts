/**
 * Several inference workers behind one `run`: a batch goes to a free session, or waits for one. With the cores
 * shared between inference and preprocessing, one-thread sessions lose less than one many-thread session: a
 * session whose thread is preempted by decoding only slows itself, where the threads of one session wait for each
 * other at every operator (docs/performance.md, "What limits embed").
 */
import type {Dtype} from '../model/model-folder.js';
import {
  type InferenceClient,
  type InferenceResult,
  openInferenceWorker,
  type SessionTuning,
} from '../runtime/inference-client.js';
import type {Device, TensorInfo} from '../runtime/onnx.js';
import type {CoreBudget} from './core-budget.js';

export interface SessionPool {
  readonly size: number;
  /** The model's inputs and outputs (every session has the same graph). */
  inputs: TensorInfo[];
  outputs: TensorInfo[];
  run(inputName: string, outputName: string, data: Float32Array, dims: number[]): Promise<InferenceResult>;
  close(): Promise<void>;
}

/**
 * Opens one inference worker per session on the same graph, `threads` split between them: all or none. With a
 * budget, each run counts its session's threads as computing (one on a device other than the CPU, where the
 * calling thread waits for the device).
 */
export async function openSessionPool(
  modelPath: string,
  options: {
    device: Device;
    threads: number;
    sessions: number;
    tuning?: SessionTuning | undefined;
    budget?: CoreBudget | undefined;
  },
): Promise<SessionPool> {
  const split = threadsPerSession(options.threads, options.sessions);
  const settled = await Promise.allSettled(
    split.map((threads) =>
      openInferenceWorker(modelPath, {device: options.device, threads, tuning: options.tuning}),
    ),
  );
  const clients = settled.flatMap((result) => (result.status === 'fulfilled' ? [result.value] : []));
  const failed = settled.find((result) => result.status === 'rejected');
  if (failed) {
    await Promise.all(clients.map((client) => client.close()));
    throw failed.reason;
  }
  const computing = options.device === 'cpu' ? split : split.map(() => 1);
  return createSessionPool(clients, {budget: options.budget, threads: computing});
}

export function createSessionPool(
  clients: readonly InferenceClient[],
  accounting: {budget?: CoreBudget | undefined; threads?: readonly number[]} = {},
): SessionPool {
  const first = clients[0];
  if (!first) throw new Error('a session pool needs at least one session');
  const threadsOf = new Map(clients.map((client, index) => [client, accounting.threads?.[index] ?? 1]));
  const budget = accounting.budget;
  const idle = [...clients];
  const waiting: ((client: InferenceClient) => void)[] = [];
  const acquire = (): Promise<InferenceClient> => {
    const client = idle.pop();
    return client ? Promise.resolve(client) : new Promise((resolve) => waiting.push(resolve));
  };
  const release = (client: InferenceClient): void => {
    const next = waiting.shift();
    if (next) next(client);
    else idle.push(client);
  };
  return {
    size: clients.length,
    inputs: first.inputs,
    outputs: first.outputs,
    async run(inputName, outputName, data, dims) {
      const client = await acquire();
      const threads = threadsOf.get(client) ?? 1;
      budget?.inferenceStarted(threads);
      try {
        return await client.run(inputName, outputName, data, dims);
      } finally {
        budget?.inferenceEnded(threads);
        release(client);
      }
    },
    async close() {
      await Promise.all(clients.map((client) => client.close()));
    },
  };
}

/** Intra-op threads of each session: `threads` split as evenly as it goes (3 over 2 sessions: 2 and 1). */
export function threadsPerSession(threads: number, sessions: number): number[] {
  return Array.from(
    {length: sessions},
    (_, index) => Math.floor(threads / sessions) + (index < threads % sessions ? 1 : 0),
  );
}

/**
 * The embed pipeline's default. q8 on the CPU: two sessions whenever there are two threads to split (2 cores, embed
 * with preprocessing: 0.83-0.93 of the bare session against 0.75-0.81 for one two-thread session; ~130 MB more
 * RSS). fp32: one, because a second copy of the weights costs ~350 MB (947 MB peak; the target is 600) for a gain
 * within this machine's noise. Other devices: one (the threads only run what the device does not).
 */
export function defaultSessions(dtype: Dtype, threads: number, device: Device): number {
  return device === 'cpu' && dtype === 'q8' && threads >= 2 ? 2 : 1;
}
