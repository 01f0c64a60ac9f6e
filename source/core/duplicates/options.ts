/**
 * The duplicates options as users give them (CLI flags, the API's query, the dashboard), checked once: the method,
 * its threshold (`--threshold` means bits for phash and a cosine for clip; `both` takes one of each) and the keep
 * rule.
 */
import {UserError} from '../errors.js';
import {
  DEFAULT_CLIP_THRESHOLD,
  DEFAULT_PHASH_THRESHOLD,
  DUPLICATE_METHODS,
  type DuplicateMethod,
} from './find-duplicates.js';
import {KEEP_RULES, type KeepRule} from './move-plan.js';

export interface DuplicateChoices {
  method: DuplicateMethod;
  phashThreshold: number;
  clipThreshold: number;
  keep: KeepRule;
}

export interface DuplicateInput {
  method?: string | undefined;
  threshold?: number | undefined;
  phashThreshold?: number | undefined;
  clipThreshold?: number | undefined;
  keep?: string | undefined;
}

export function parseMethod(value: string): DuplicateMethod {
  if ((DUPLICATE_METHODS as readonly string[]).includes(value)) return value as DuplicateMethod;
  throw new UserError(`unknown method '${value}'`, `use --method ${DUPLICATE_METHODS.join(' | ')}`);
}

export function parseKeep(value: string): KeepRule {
  if ((KEEP_RULES as readonly string[]).includes(value)) return value as KeepRule;
  throw new UserError(`unknown keep rule '${value}'`, `use --keep ${KEEP_RULES.join(' | ')}`);
}

function checkBits(value: number, flag: string): number {
  if (!Number.isInteger(value) || value < 0 || value > 32)
    throw new UserError(
      `${flag} ${value} is out of range for the perceptual hash: it counts differing bits, 0-32`,
      `the default is ${DEFAULT_PHASH_THRESHOLD}; copies made by photo tools measured 0-10 bits apart (docs/duplicates.md)`,
    );
  return value;
}

function checkCosine(value: number, flag: string): number {
  if (!(value > 0 && value <= 1))
    throw new UserError(
      `${flag} ${value} is out of range for CLIP: it is a cosine in (0, 1]`,
      `the default is ${DEFAULT_CLIP_THRESHOLD}; higher finds fewer, closer copies`,
    );
  return value;
}

export function parseDuplicateChoices(input: DuplicateInput): DuplicateChoices {
  const method = parseMethod(input.method ?? 'phash');
  let phashThreshold = DEFAULT_PHASH_THRESHOLD;
  let clipThreshold = DEFAULT_CLIP_THRESHOLD;
  if (input.threshold !== undefined) {
    if (method === 'both')
      throw new UserError(
        '--threshold is ambiguous with --method both (bits for phash, a cosine for clip)',
        'give --phash-threshold BITS and/or --clip-threshold COSINE instead',
      );
    if (method === 'phash') phashThreshold = checkBits(input.threshold, '--threshold');
    else clipThreshold = checkCosine(input.threshold, '--threshold');
  }
  if (input.phashThreshold !== undefined)
    phashThreshold = checkBits(input.phashThreshold, '--phash-threshold');
  if (input.clipThreshold !== undefined) clipThreshold = checkCosine(input.clipThreshold, '--clip-threshold');
  return {method, phashThreshold, clipThreshold, keep: parseKeep(input.keep ?? 'largest')};
}
