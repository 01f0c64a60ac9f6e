/**
 * The CLIP tokenizer, read from a model's Hugging Face `tokenizer.json`. The byte-level BPE itself is
 * @huggingface/tokenizers (the library transformers.js uses): on the reference's 15 golden strings it reproduces
 * the Rust `tokenizers` output exactly. What that library leaves to the caller (CLIP's fixed context: truncation
 * that keeps EOS, padding with the pad token, the attention mask) lives here.
 */
import {readFile} from 'node:fs/promises';
import {dirname, join} from 'node:path';
import {Tokenizer} from '@huggingface/tokenizers';
import {UserError} from '../errors.js';

/** CLIP's trained context: BOS + 75 tokens + EOS. */
export const CLIP_CONTEXT_LENGTH = 77;

export interface EncodedText {
  /** Exactly `contextLength` ids: truncated keeping EOS last, then padded with the pad id. */
  inputIds: number[];
  /** 1 for real tokens (BOS and EOS included), 0 for padding. */
  attentionMask: number[];
  /** True when the text was longer than the context and lost tokens. */
  truncated: boolean;
}

export interface ClipTokenizer {
  contextLength: number;
  bosId: number;
  eosId: number;
  padId: number;
  /** BOS + tokens + EOS, neither truncated nor padded. */
  tokenize(text: string): number[];
  /** What the text model is fed. */
  encode(text: string): EncodedText;
}

interface TokenizerConfig {
  bos_token?: unknown;
  eos_token?: unknown;
  pad_token?: unknown;
  model_max_length?: unknown;
}

async function readJson(path: string, what: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new UserError(
      `cannot read the ${what} ${path}${code ? ` (${code})` : ''}`,
      'check the model folder is complete (re-pull the model with `visual-cortex models pull`)',
    );
  }
  try {
    return JSON.parse(text);
  } catch {
    throw new UserError(
      `the ${what} ${path} is not valid JSON`,
      're-pull the model to replace the damaged file',
    );
  }
}

function tokenContent(token: unknown): string | undefined {
  if (typeof token === 'string') return token;
  if (token && typeof token === 'object' && typeof (token as {content?: unknown}).content === 'string')
    return (token as {content: string}).content;
  return undefined;
}

/** tokenizer_config.json often says 1e30 for "no limit"; only a plausible number is a context length. */
function contextLengthFrom(config: TokenizerConfig): number {
  const declared = config.model_max_length;
  if (typeof declared === 'number' && Number.isInteger(declared) && declared >= 2 && declared <= 4096)
    return declared;
  return CLIP_CONTEXT_LENGTH;
}

/**
 * Loads the tokenizer from `tokenizer.json`, with `tokenizer_config.json` beside it when present (it names the
 * special tokens and the context length; CLIP's defaults apply without it).
 */
export async function loadClipTokenizer(
  tokenizerPath: string,
  options: {contextLength?: number; configPath?: string} = {},
): Promise<ClipTokenizer> {
  const tokenizerJson = await readJson(tokenizerPath, 'tokenizer file');
  const configPath = options.configPath ?? join(dirname(tokenizerPath), 'tokenizer_config.json');
  let config: TokenizerConfig = {};
  try {
    config = (await readJson(configPath, 'tokenizer config')) as TokenizerConfig;
  } catch (error) {
    if (options.configPath !== undefined) throw error;
  }
  let tokenizer: Tokenizer;
  try {
    tokenizer = new Tokenizer(tokenizerJson as object, config);
  } catch (error) {
    throw new UserError(
      `cannot build a tokenizer from ${tokenizerPath}: ${error instanceof Error ? error.message : String(error)}`,
      'the file is not a Hugging Face tokenizer.json; re-pull the model',
    );
  }
  const idOf = (token: unknown, fallback: string): number => {
    const content = tokenContent(token) ?? fallback;
    const id = tokenizer.token_to_id(content);
    if (id === undefined)
      throw new UserError(
        `the tokenizer ${tokenizerPath} has no token ${content}`,
        'this is not a CLIP tokenizer; use a CLIP model',
      );
    return id;
  };
  const bosId = idOf(config.bos_token, '<|startoftext|>');
  const eosId = idOf(config.eos_token, '<|endoftext|>');
  const padId = config.pad_token === undefined ? eosId : idOf(config.pad_token, '<|endoftext|>');
  const contextLength = options.contextLength ?? contextLengthFrom(config);

  const tokenize = (text: string): number[] => tokenizer.encode(text).ids;
  return {
    contextLength,
    bosId,
    eosId,
    padId,
    tokenize,
    encode(text) {
      const ids = tokenize(text);
      const truncated = ids.length > contextLength;
      // The post-processor already added BOS and EOS; truncation drops content tokens, never the final EOS.
      const kept = truncated ? [...ids.slice(0, contextLength - 1), eosId] : ids;
      const inputIds = new Array<number>(contextLength).fill(padId);
      const attentionMask = new Array<number>(contextLength).fill(0);
      for (const [position, id] of kept.entries()) {
        inputIds[position] = id;
        attentionMask[position] = 1;
      }
      return {inputIds, attentionMask, truncated};
    },
  };
}
