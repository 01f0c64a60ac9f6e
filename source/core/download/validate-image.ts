/**
 * The checks a body must pass before it is kept: not an HTML page, an image magic number sharp can decode, a
 * size within bounds, not cut short, and a header that decodes within the pixel limit (probeImageHeader).
 */
import {probeImageHeader} from '../image/decode-image.js';
import {ImageDecodeError} from '../image/sharp-image.js';
import {hasImageEnd, looksLikeHtml, type SniffedType, sniffImageType} from './sniff.js';
import type {FailureReason} from './types.js';

export interface ImageLimits {
  minBytes: number;
  maxBytes: number;
  pixelLimit: number;
}

export type ValidationResult =
  | {ok: true; type: SniffedType; width: number; height: number; format: string}
  | {ok: false; reason: FailureReason; message: string};

export async function validateImage(bytes: Uint8Array, limits: ImageLimits): Promise<ValidationResult> {
  const type = sniffImageType(bytes);
  if (type === null) {
    if (looksLikeHtml(bytes)) return {ok: false, reason: 'html-page', message: 'an HTML page, not an image'};
    return {ok: false, reason: 'not-an-image', message: 'no image magic number in the first bytes'};
  }
  if (bytes.length < limits.minBytes) {
    return {
      ok: false,
      reason: 'too-small',
      message: `${bytes.length} bytes is under the ${limits.minBytes}-byte minimum`,
    };
  }
  if (bytes.length > limits.maxBytes) {
    return {
      ok: false,
      reason: 'too-large',
      message: `${bytes.length} bytes is over the ${limits.maxBytes}-byte limit`,
    };
  }
  if (!hasImageEnd(bytes, type)) {
    return {ok: false, reason: 'truncated', message: `the ${type} data has no end marker (cut short)`};
  }
  try {
    const probe = await probeImageHeader(bytes, limits.pixelLimit);
    return {ok: true, type, width: probe.width, height: probe.height, format: probe.format};
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    const overLimit = error instanceof ImageDecodeError && /pixel limit/i.test(message);
    return {ok: false, reason: overLimit ? 'too-many-pixels' : 'undecodable', message};
  }
}
