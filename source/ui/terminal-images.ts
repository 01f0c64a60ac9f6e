/**
 * Pictures inside the terminal (duplicate groups, search results): whether this terminal can show them, and the
 * escape sequence that shows a small PNG. Pure logic over an environment and bytes; rendering stays in the
 * screens. Support is never assumed: only terminals that identify themselves get images, and none inside tmux
 * or screen unless the caller knows passthrough is on (tmux `allow-passthrough`), since unknown sequences would
 * print as garbage there. VISUAL_CORTEX_INLINE_IMAGES=off|kitty|iterm2 overrides the detection.
 */

export type InlineImageProtocol = 'kitty' | 'iterm2';

export interface InlineImageSupport {
  protocol: InlineImageProtocol | null;
  /** Why, in words (for --verbose and the settings screen). */
  reason: string;
  /** Sequences must be wrapped for tmux passthrough. */
  tmux: boolean;
}

export const INLINE_IMAGES_ENV = 'VISUAL_CORTEX_INLINE_IMAGES';

/** Thumbnails only: a larger payload is a mistake, and would stall the terminal. */
export const MAX_INLINE_IMAGE_BYTES = 512 * 1024;

export interface DetectOptions {
  /** False when stdout is not a terminal (then never). */
  isTTY?: boolean;
  /** The caller checked that tmux passes escape sequences through (`tmux show -gv allow-passthrough` is on). */
  tmuxPassthrough?: boolean;
}

function terminalProtocol(env: Readonly<Record<string, string | undefined>>): InlineImageSupport | undefined {
  if (env.TERM === 'xterm-kitty' || env.KITTY_WINDOW_ID)
    return {protocol: 'kitty', reason: 'kitty (kitty graphics protocol)', tmux: false};
  if (env.TERM_PROGRAM === 'iTerm.app' || env.LC_TERMINAL === 'iTerm2')
    return {protocol: 'iterm2', reason: 'iTerm2 (inline images protocol)', tmux: false};
  // WezTerm implements iTerm2's protocol fully; its kitty graphics support is partial and opt-in.
  if (env.TERM_PROGRAM === 'WezTerm')
    return {protocol: 'iterm2', reason: 'WezTerm (iTerm2 protocol)', tmux: false};
  return undefined;
}

export function detectInlineImages(
  env: Readonly<Record<string, string | undefined>>,
  options: DetectOptions = {},
): InlineImageSupport {
  const tmux = Boolean(env.TMUX) || /^tmux/.test(env.TERM ?? '');
  const override = env[INLINE_IMAGES_ENV]?.trim().toLowerCase();
  if (override === 'off' || override === '0' || override === 'none')
    return {protocol: null, reason: `${INLINE_IMAGES_ENV}=${override}`, tmux};
  if (override === 'kitty' || override === 'iterm2')
    return {protocol: override, reason: `${INLINE_IMAGES_ENV}=${override}`, tmux};
  if (options.isTTY === false) return {protocol: null, reason: 'not a terminal', tmux};
  if (!tmux && /^screen/.test(env.TERM ?? ''))
    return {protocol: null, reason: 'inside GNU screen, which does not pass images through', tmux};
  const found = terminalProtocol(env);
  if (!found) return {protocol: null, reason: 'this terminal does not say it can show images', tmux};
  if (tmux && !options.tmuxPassthrough)
    return {
      protocol: null,
      reason: `inside tmux (${found.reason} outside): needs \`set -g allow-passthrough on\` in tmux`,
      tmux,
    };
  return {...found, tmux};
}

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
const ESC = '\x1b';
/** kitty's limit for one chunk of base64 payload. */
const KITTY_CHUNK = 4096;

export interface EncodeOptions {
  /** Size of the picture in terminal cells (default: the image's own size). */
  columns?: number;
  rows?: number;
  /** Wrap each sequence for tmux passthrough. */
  tmux?: boolean;
}

/** `ESC P tmux; <sequence with every ESC doubled> ESC \`. */
export const wrapForTmux = (sequence: string) => `${ESC}Ptmux;${sequence.replaceAll(ESC, ESC + ESC)}${ESC}\\`;

const cells = (value: number | undefined, name: string) => {
  if (value === undefined) return undefined;
  if (!Number.isInteger(value) || value < 1 || value > 1000)
    throw new RangeError(`${name} must be 1-1000 cells, got ${value}`);
  return value;
};

/** The escape sequence(s) that show `png` at the cursor. Rejects non-PNG or oversized input with a RangeError. */
export function encodeInlineImage(
  png: Uint8Array,
  protocol: InlineImageProtocol,
  options: EncodeOptions = {},
): string {
  if (png.length < 8 || PNG_SIGNATURE.some((byte, index) => png[index] !== byte))
    throw new RangeError('inline images must be PNG');
  if (png.length > MAX_INLINE_IMAGE_BYTES)
    throw new RangeError(
      `a ${png.length}-byte image is too large to show inline (max ${MAX_INLINE_IMAGE_BYTES})`,
    );
  const columns = cells(options.columns, 'columns');
  const rows = cells(options.rows, 'rows');
  const payload = Buffer.from(png.buffer, png.byteOffset, png.byteLength).toString('base64');
  const wrap = options.tmux ? wrapForTmux : (sequence: string) => sequence;
  if (protocol === 'iterm2') {
    const size = [columns && `width=${columns}`, rows && `height=${rows}`]
      .filter(Boolean)
      .map((part) => `;${part}`);
    return wrap(
      `${ESC}]1337;File=inline=1;size=${png.length};preserveAspectRatio=1${size.join('')}:${payload}\x07`,
    );
  }
  // kitty: a=T transmit and show, f=100 PNG, q=2 no replies (they would arrive on stdin as keystrokes).
  const keys = ['a=T', 'f=100', 'q=2', columns && `c=${columns}`, rows && `r=${rows}`]
    .filter(Boolean)
    .join(',');
  const chunks: string[] = [];
  for (let at = 0; at < payload.length; at += KITTY_CHUNK) chunks.push(payload.slice(at, at + KITTY_CHUNK));
  if (chunks.length === 1) return wrap(`${ESC}_G${keys};${chunks[0]}${ESC}\\`);
  return chunks
    .map((chunk, index) => {
      const more = index < chunks.length - 1 ? 1 : 0;
      return wrap(`${ESC}_G${index === 0 ? `${keys},` : ''}m=${more};${chunk}${ESC}\\`);
    })
    .join('');
}
