import assert from 'node:assert/strict';
import {test} from 'node:test';
import {
  detectInlineImages,
  encodeInlineImage,
  MAX_INLINE_IMAGE_BYTES,
  wrapForTmux,
} from '../../source/ui/terminal-images.js';

const ESC = '\x1b';

test('inline images only where the terminal says it can, never inside tmux without passthrough', () => {
  const table: [Record<string, string>, {isTTY?: boolean; tmuxPassthrough?: boolean}, string | null][] = [
    [{TERM: 'xterm-kitty'}, {}, 'kitty'],
    [{TERM: 'xterm-256color', KITTY_WINDOW_ID: '3'}, {}, 'kitty'],
    [{TERM: 'xterm-256color', TERM_PROGRAM: 'iTerm.app'}, {}, 'iterm2'],
    [{TERM: 'xterm-256color', LC_TERMINAL: 'iTerm2'}, {}, 'iterm2'],
    [{TERM: 'xterm-256color', TERM_PROGRAM: 'WezTerm'}, {}, 'iterm2'],
    [{TERM: 'xterm-256color', TERM_PROGRAM: 'Apple_Terminal'}, {}, null],
    [{TERM: 'xterm-256color', COLORTERM: 'truecolor'}, {}, null],
    [{}, {}, null],
    [{TERM: 'xterm-kitty'}, {isTTY: false}, null],
    [{TERM: 'screen-256color', KITTY_WINDOW_ID: '1'}, {}, null],
    [{TERM: 'tmux-256color', TMUX: '/tmp/tmux-1/default,1,0', KITTY_WINDOW_ID: '1'}, {}, null],
    [{TERM: 'screen', TMUX: '/tmp/tmux-1/default,1,0', LC_TERMINAL: 'iTerm2'}, {}, null],
    [{TERM: 'tmux-256color', TMUX: '/tmp/t,1,0', KITTY_WINDOW_ID: '1'}, {tmuxPassthrough: true}, 'kitty'],
    [{TERM: 'xterm-256color', VISUAL_CORTEX_INLINE_IMAGES: 'iterm2'}, {}, 'iterm2'],
    [{TERM: 'xterm-kitty', VISUAL_CORTEX_INLINE_IMAGES: 'off'}, {}, null],
  ];
  for (const [env, options, protocol] of table) {
    const support = detectInlineImages(env, options);
    assert.equal(support.protocol, protocol, JSON.stringify(env));
    assert.ok(support.reason.length > 0);
  }
  const inTmux = detectInlineImages({TMUX: '/tmp/t,1,0', TERM: 'screen', KITTY_WINDOW_ID: '1'});
  assert.match(inTmux.reason, /allow-passthrough/);
  assert.equal(detectInlineImages({TMUX: 'x', KITTY_WINDOW_ID: '1'}, {tmuxPassthrough: true}).tmux, true);
});

const png = (size: number) => {
  const bytes = new Uint8Array(size);
  bytes.set([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  for (let i = 8; i < size; i++) bytes[i] = (i * 31) & 0xff;
  return bytes;
};
const base64 = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64');

test('iTerm2: one OSC 1337 File sequence with the size and the base64 PNG', () => {
  const image = png(40);
  assert.equal(
    encodeInlineImage(image, 'iterm2'),
    `${ESC}]1337;File=inline=1;size=40;preserveAspectRatio=1:${base64(image)}\x07`,
  );
  assert.equal(
    encodeInlineImage(image, 'iterm2', {columns: 20, rows: 8}),
    `${ESC}]1337;File=inline=1;size=40;preserveAspectRatio=1;width=20;height=8:${base64(image)}\x07`,
  );
});

test('kitty: APC G sequences, PNG format, no replies, chunked at 4096 base64 characters', () => {
  const small = png(40);
  assert.equal(
    encodeInlineImage(small, 'kitty', {columns: 10}),
    `${ESC}_Ga=T,f=100,q=2,c=10;${base64(small)}${ESC}\\`,
  );
  const large = png(7000); // 9,336 base64 characters: three chunks
  const encoded = encodeInlineImage(large, 'kitty');
  const sequences = encoded.split(`${ESC}\\`).filter(Boolean);
  assert.equal(sequences.length, 3);
  assert.ok(sequences[0]!.startsWith(`${ESC}_Ga=T,f=100,q=2,m=1;`));
  assert.ok(sequences[1]!.startsWith(`${ESC}_Gm=1;`));
  assert.ok(sequences[2]!.startsWith(`${ESC}_Gm=0;`));
  const payloads = sequences.map((sequence) => sequence.slice(sequence.indexOf(';') + 1));
  assert.deepEqual(
    payloads.map((payload) => payload.length),
    [4096, 4096, 1144],
  );
  assert.equal(payloads.join(''), base64(large));
});

test('tmux passthrough doubles every ESC inside a DCS tmux; wrapper, per sequence', () => {
  assert.equal(wrapForTmux(`${ESC}_Gx${ESC}\\`), `${ESC}Ptmux;${ESC}${ESC}_Gx${ESC}${ESC}\\${ESC}\\`);
  const encoded = encodeInlineImage(png(7000), 'kitty', {tmux: true});
  assert.equal(encoded.split(`${ESC}Ptmux;`).length - 1, 3);
  assert.ok(encodeInlineImage(png(40), 'iterm2', {tmux: true}).startsWith(`${ESC}Ptmux;${ESC}${ESC}]1337;`));
});

test('only small PNGs are encoded', () => {
  assert.throws(
    () => encodeInlineImage(new Uint8Array([0xff, 0xd8, 0xff, 0xe0, 0, 0, 0, 0, 0]), 'kitty'),
    /PNG/,
  );
  assert.throws(() => encodeInlineImage(png(MAX_INLINE_IMAGE_BYTES + 1), 'iterm2'), /too large/);
  assert.throws(() => encodeInlineImage(png(40), 'kitty', {columns: 0}), /columns/);
});
