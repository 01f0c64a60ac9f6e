/**
 * The search screen's thumbnails: shown where the terminal says it can (a fake kitty and iTerm2 environment),
 * never on a plain terminal, inside tmux without passthrough, or off a TTY. The pictures are real PNGs made by
 * sharp from fixture images, through the same loader the dashboard uses.
 */
import assert from 'node:assert/strict';
import {test} from 'node:test';
import {render} from 'ink-testing-library';
import {searchThumbnails} from '../../source/commands/search-thumbnails.js';
import type {Searcher, SearchResult} from '../../source/core/search/searcher.js';
import {SearchScreen} from '../../source/ui/search-screen.js';
import {thumbnailStrip} from '../../source/ui/search-thumbnails.js';
import {FIXTURE_IMAGES_DIR} from '../helpers/image-server.js';
import {eventually, frameMatches} from '../ui/keys.js';

const results: SearchResult[] = [
  {rank: 1, id: 0, file: 'photo_640x480.jpg', score: 0.31},
  {rank: 2, id: 1, file: 'alpha_400x300.png', score: 0.3},
  {rank: 3, id: 2, file: '../outside.jpg', score: 0.2},
  {rank: 4, id: 3, file: 'missing.jpg', score: 0.1},
];
const searcher = {imagesDir: FIXTURE_IMAGES_DIR} as unknown as Searcher;

async function screen(env: Record<string, string>, isTTY = true) {
  const thumbnails = searchThumbnails(searcher, env, isTTY);
  const loaded: string[] = [];
  const load = thumbnails.load;
  thumbnails.load = async (result) => {
    const png = await load(result).catch(() => undefined);
    loaded.push(`${result.file}:${png ? 'png' : 'none'}`);
    return png;
  };
  const view = render(
    <SearchScreen search={async () => results} initialQuery="a photo" thumbnails={thumbnails} />,
  );
  await frameMatches(view.lastFrame, /4 results in/);
  // ink-testing-library runs Ink in debug mode, where a raw write is a frame of its own: the text list is the
  // last frame without pictures.
  const text = () => view.stdout.frames.filter((frame) => !/\x1b_G|\x1b\]1337/.test(frame)).at(-1) ?? '';
  return {...view, loaded, text, written: () => view.stdout.frames.join('')};
}

test('kitty: the top results get real PNG thumbnails in kitty graphics sequences, beside the text list', async () => {
  const view = await screen({TERM: 'xterm-kitty'});
  try {
    await eventually(() => assert.match(view.written(), /\x1b_Ga=T,f=100,q=2,c=8,r=4/));
    assert.deepEqual(view.loaded.sort(), [
      '../outside.jpg:none',
      'alpha_400x300.png:png',
      'missing.jpg:none',
      'photo_640x480.jpg:png',
    ]);
    const strip = view.written();
    assert.equal(strip.match(/\x1b_Ga=T/g)?.length, 2, 'one picture per readable result inside the folder');
    assert.match(strip, /\x1b\\1 {2}.*\x1b\\2 /s, 'each picture is followed by its rank');
    assert.match(view.text(), /1\s+0\.3100\s+█+░*\s+photo_640x480\.jpg/);
    assert.match(view.text(), /pictures: kitty/);
  } finally {
    view.unmount();
  }
});

test('iTerm2 and WezTerm get the iTerm2 protocol', async () => {
  const view = await screen({TERM_PROGRAM: 'WezTerm'});
  try {
    await eventually(() =>
      assert.match(
        view.written(),
        /\x1b\]1337;File=inline=1;size=\d+;preserveAspectRatio=1;width=8;height=4:/,
      ),
    );
  } finally {
    view.unmount();
  }
});

test('a plain terminal, tmux without passthrough and a pipe get the text list only', async () => {
  for (const [env, isTTY] of [
    [{TERM: 'xterm-256color'}, true],
    [{TERM: 'xterm-kitty', TMUX: '/tmp/tmux-1/default,1,0'}, true],
    [{TERM: 'xterm-kitty'}, false],
  ] as const) {
    const view = await screen(env, isTTY);
    try {
      await new Promise((resolve) => setTimeout(resolve, 100));
      assert.doesNotMatch(view.written(), /\x1b_G|\x1b\]1337/, JSON.stringify(env));
      assert.deepEqual(view.loaded, [], 'no image is even read');
      assert.match(view.text(), /2\s+0\.3000\s+█+░*\s+alpha_400x300\.png/);
      assert.doesNotMatch(view.text(), /pictures:/);
    } finally {
      view.unmount();
    }
  }
});

test('thumbnailStrip skips what is not a PNG and leaves the cursor below the pictures', () => {
  const png = Buffer.from(
    '89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c4890000000d4944415478da63f8ffff3f0005fe02fea7d6a4c50000000049454e44ae426082',
    'hex',
  );
  const support = {protocol: 'kitty' as const, reason: 'kitty', tmux: false};
  const strip = thumbnailStrip(
    [
      {rank: 1, png},
      {rank: 2, png: new Uint8Array([1, 2, 3])},
    ],
    support,
  );
  assert.equal(strip.match(/\x1b_G/g)?.length, 1);
  assert.ok(strip.endsWith('1  \n\n\n\n'));
  assert.equal(thumbnailStrip([{rank: 1, png}], {protocol: null, reason: 'plain', tmux: false}), '');
});
