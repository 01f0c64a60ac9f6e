/**
 * CLIP's text tower: texts → L2-normalised embeddings, from `onnx/text_model*.onnx`. The session is opened once and
 * kept warm; the feed is exactly what the graph declares (`input_ids`, plus `attention_mask` only when declared).
 * Every text is padded to the full context, as the reference did; CLIP's causal attention and pooling at the first
 * EOS make the padding invisible to the output.
 */
import {UserError} from '../errors.js';
import {type Device, type Feed, type OnnxSession, openSession} from '../runtime/onnx.js';
import {type ClipTokenizer, loadClipTokenizer} from './clip-tokenizer.js';

export interface TextEncoder {
  dims: number;
  tokenizer: ClipTokenizer;
  /** One L2-normalised vector per text, in order. */
  embedTexts(texts: readonly string[]): Promise<Float32Array[]>;
  /** The raw (unnormalised) projection output, for checks against the reference. */
  embedTextsRaw(texts: readonly string[]): Promise<Float32Array[]>;
  close(): Promise<void>;
}

export interface TextEncoderOptions {
  modelPath: string;
  tokenizerPath: string;
  device?: Device;
  intraOpThreads?: number;
  /** Texts per session run. */
  batchSize?: number;
}

const KNOWN_INPUTS = new Set(['input_ids', 'attention_mask']);

export function l2Normalize(vector: Float32Array): Float32Array {
  let sum = 0;
  for (let i = 0; i < vector.length; i++) sum += vector[i]! * vector[i]!;
  const norm = Math.sqrt(sum);
  const out = new Float32Array(vector.length);
  if (norm === 0) return out;
  for (let i = 0; i < vector.length; i++) out[i] = vector[i]! / norm;
  return out;
}

function pickOutput(session: OnnxSession, modelPath: string): {name: string; dims: number} {
  const output = session.outputs.find((info) => info.name === 'text_embeds') ?? session.outputs[0];
  const dims = output?.shape[1];
  if (output?.shape.length !== 2 || typeof dims !== 'number') {
    throw new UserError(
      `${modelPath} does not output text embeddings (expected 'text_embeds' [batch, dims])`,
      'use a CLIP text model exported in the transformers.js layout (onnx/text_model*.onnx)',
    );
  }
  return {name: output.name, dims};
}

export async function openTextEncoder(options: TextEncoderOptions): Promise<TextEncoder> {
  const tokenizer = await loadClipTokenizer(options.tokenizerPath);
  const session = await openSession(options.modelPath, {
    device: options.device ?? 'cpu',
    intraOpThreads: options.intraOpThreads,
  });
  try {
    const unknown = session.inputs.filter((input) => !KNOWN_INPUTS.has(input.name));
    if (unknown.length > 0 || !session.inputs.some((input) => input.name === 'input_ids')) {
      throw new UserError(
        `${options.modelPath} asks for inputs ${session.inputs.map((input) => input.name).join(', ')}; a CLIP text model takes input_ids (and optionally attention_mask)`,
        'use a CLIP text model exported in the transformers.js layout',
      );
    }
    const wantsMask = session.inputs.some((input) => input.name === 'attention_mask');
    const output = pickOutput(session, options.modelPath);
    const batchSize = Math.max(1, options.batchSize ?? 32);
    const length = tokenizer.contextLength;

    const runBatch = async (texts: readonly string[]): Promise<Float32Array[]> => {
      const ids = new BigInt64Array(texts.length * length);
      const mask = new BigInt64Array(texts.length * length);
      texts.forEach((text, row) => {
        const encoded = tokenizer.encode(text);
        for (let column = 0; column < length; column++) {
          ids[row * length + column] = BigInt(encoded.inputIds[column]!);
          mask[row * length + column] = BigInt(encoded.attentionMask[column]!);
        }
      });
      const dims = [texts.length, length];
      const feeds: Record<string, Feed> = {input_ids: {type: 'int64', data: ids, dims}};
      if (wantsMask) feeds.attention_mask = {type: 'int64', data: mask, dims};
      const result = (await session.run(feeds))[output.name];
      if (!result) throw new Error(`text model returned no '${output.name}'`);
      return texts.map((_, row) => result.data.slice(row * output.dims, (row + 1) * output.dims));
    };

    const embedTextsRaw = async (texts: readonly string[]): Promise<Float32Array[]> => {
      const vectors: Float32Array[] = [];
      for (let start = 0; start < texts.length; start += batchSize)
        vectors.push(...(await runBatch(texts.slice(start, start + batchSize))));
      return vectors;
    };

    return {
      dims: output.dims,
      tokenizer,
      embedTextsRaw,
      embedTexts: async (texts) => (await embedTextsRaw(texts)).map(l2Normalize),
      close: () => session.release(),
    };
  } catch (error) {
    await session.release();
    throw error;
  }
}
