/**
 * End to end in a real terminal: tmux runs the BUILT binary (`npm run build` first) against a local image server
 * and the fixture model, presses Ctrl+C mid-run, and checks the outputs and the terminal afterwards.
 */
import assert from 'node:assert/strict';
import {execFileSync, spawnSync} from 'node:child_process';
import {existsSync} from 'node:fs';
import {mkdir, mkdtemp, readdir, readFile, rm, writeFile} from 'node:fs/promises';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {after, before, describe, test} from 'node:test';
import {fileURLToPath} from 'node:url';
import {encodeRawImage} from '../../source/core/image/sharp-image.js';
import {readFloat32Matrix, readUnicodeArray} from '../../source/core/npy.js';
import {type ImageServer, startImageServer} from '../helpers/image-server.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const CLI = join(ROOT, 'dist', 'source', 'cli.js');
const MODEL = join(ROOT, 'test', 'fixtures', 'tiny-clip');
const hasTmux = spawnSync('tmux', ['-V']).status === 0;
const skip = hasTmux ? false : 'tmux is not installed (apt-get install -y tmux; .ci/run installs it)';

const sleep = (ms: number) => new Promise((done) => setTimeout(done, ms));

describe('dashboard in a real terminal (tmux)', {skip}, () => {
  const socket = `vc-e2e-${process.pid}`;
  let dir: string;
  let server: ImageServer;
  /** Delay before the server answers each request; raised to make a download slow enough to interrupt. */
  let slowMs = 0;

  const tmux = (...args: string[]) => execFileSync('tmux', ['-L', socket, ...args], {encoding: 'utf8'});
  const screen = () => tmux('capture-pane', '-p', '-J', '-t', 'e2e');
  async function waitFor(pattern: RegExp, timeoutMs = 30_000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const text = screen();
      if (pattern.test(text)) return text;
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${pattern}; screen:\n${text}`);
      await sleep(50);
    }
  }
  /** Types a shell command line into the pane (the pane runs a plain bash). */
  function type(line: string) {
    tmux('send-keys', '-t', 'e2e', '-l', line);
    tmux('send-keys', '-t', 'e2e', 'Enter');
  }
  async function runInPane(images: string, embeddings: string, flags: string): Promise<void> {
    tmux('send-keys', '-t', 'e2e', 'clear', 'Enter');
    await sleep(100);
    type(
      `node ${CLI} run --width 64 --height 64 --images ${images} --embeddings ${embeddings} --model ${MODEL} ${flags}; echo EXIT=$?`,
    );
  }
  async function assertTerminalRestored(): Promise<void> {
    // The pattern cannot match the typed command line itself (it contains '$s').
    type(
      "s=$(stty -a | tr ' ;' '\\n\\n' | grep -xE -- '-?(icanon|echo)' | paste -sd,); echo \"STTY:$s:END\"",
    );
    const text = await waitFor(/STTY:[a-z,-]*:END/);
    assert.match(text, /STTY:icanon,echo:END/, 'canonical mode and echo are back');
    assert.equal(tmux('display', '-p', '-t', 'e2e', '#{cursor_flag}').trim(), '1', 'the cursor is visible');
  }

  before(async () => {
    if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run 'npm run build' first`);
    dir = await mkdtemp(join(tmpdir(), 'vc-e2e-'));
    server = await startImageServer({
      count: 120,
      plan: () => (slowMs > 0 ? `slow-headers:${slowMs}` : undefined),
    });
    // A clean environment: no CI variables (Ink renders differently in CI), a config dir of our own.
    const env = [
      `PATH=${process.env.PATH}`,
      `HOME=${dir}`,
      'TERM=xterm-256color',
      `VISUAL_CORTEX_PICSUM_URL=${server.origin}`,
      `VISUAL_CORTEX_CONFIG_DIR=${join(dir, 'config')}`,
      // bash writes its history into HOME as tmux kills it, racing the folder's removal in `after`.
      'HISTFILE=/dev/null',
    ];
    tmux(
      'new-session',
      '-d',
      '-s',
      'e2e',
      '-x',
      '160',
      '-y',
      '50',
      'env',
      '-i',
      ...env,
      'bash',
      '--norc',
      '--noprofile',
    );
  });

  after(async () => {
    spawnSync('tmux', ['-L', socket, 'kill-server']);
    await server?.close();
    if (dir) await rm(dir, {recursive: true, force: true, maxRetries: 5});
  });

  test('Ctrl+C during a slow download stops gracefully: consistent outputs, summary, terminal restored', async () => {
    slowMs = 600;
    const out = join(dir, 'slow');
    await runInPane(join(out, 'images'), join(out, 'emb'), '--count 12 --workers 2');
    await waitFor(/kept [1-9]/);
    tmux('send-keys', '-t', 'e2e', 'C-c');
    await waitFor(/stopping|Run stopped/);
    const summary = await waitFor(/Run stopped during download/);
    // The embedder takes each kept image as it comes, so the images kept before the stop may be embedded.
    assert.match(
      summary,
      /Embed: (nothing embedded|\d+ embedded, 0 failed.*interrupted, outputs are consistent)/,
    );
    tmux('send-keys', '-t', 'e2e', 'q');
    // Interrupted: 130 from the one exit-code table, after the outputs are consistent.
    await waitFor(/EXIT=130/);
    if (existsSync(join(out, 'emb', 'metadata.json'))) {
      const metadata = JSON.parse(await readFile(join(out, 'emb', 'metadata.json'), 'utf8'));
      assert.equal(metadata.interrupted, true);
      assert.ok(metadata.counts.ok < 12, `${metadata.counts.ok} rows`);
    }
    const kept = (await readdir(join(out, 'images'))).filter((name) => /\.(jpe?g|png)$/.test(name));
    assert.ok(kept.length >= 1 && kept.length < 12, `some images kept (${kept.length})`);
    await assertTerminalRestored();
  });

  test('Ctrl+C during embedding writes consistent outputs marked interrupted', async () => {
    slowMs = 0;
    const out = join(dir, 'embed');
    await runInPane(join(out, 'images'), join(out, 'emb'), '--count 100 --workers 8 --batch-size 1');
    await waitFor(/ok [1-9]\d* failed/, 60_000);
    tmux('send-keys', '-t', 'e2e', 'C-c');
    // Both stages run at once: the stop may come while the download still runs.
    const summary = await waitFor(/Run stopped during (embed|download)|Run complete/, 60_000);
    tmux('send-keys', '-t', 'e2e', 'q');
    await waitFor(/EXIT=\d+/);
    const emb = join(out, 'emb');
    const matrix = readFloat32Matrix(await readFile(join(emb, 'image_embeddings.npy')));
    const names = readUnicodeArray(await readFile(join(emb, 'image_filenames.npy')));
    const metadata = JSON.parse(await readFile(join(emb, 'metadata.json'), 'utf8'));
    assert.equal(matrix.rows, names.length);
    assert.equal(metadata.counts.ok, matrix.rows);
    assert.equal(matrix.columns, 512);
    if (/Run stopped during/.test(summary)) {
      assert.equal(metadata.interrupted, true);
      assert.ok(matrix.rows < 100, `stopped early (${matrix.rows} rows)`);
    }
    assert.deepEqual(
      (await readdir(emb)).filter((name) => name.startsWith('.tmp-')),
      [],
      'no temp file left behind',
    );
    await assertTerminalRestored();
  });

  test('a second Ctrl+C quits at once (killed by SIGINT: the shell sees 130), leaving no partial file and a usable terminal', async () => {
    // Big noisy photos, all there already (nothing to download), make a batch's preparation slow (~50 ms an
    // image) so that the graceful stop waits long enough to press Ctrl+C again. Batches ramp up (1, 2, 4, 8, 16,
    // 1): when 15 images are done, the batch of 16 has just begun its preparation (~0.8 s here).
    const out = join(dir, 'twice');
    const images = join(out, 'images');
    await mkdir(images, {recursive: true});
    const size = {width: 2000, height: 1500, channels: 3} as const;
    const pixels = new Uint8Array(size.width * size.height * 3);
    for (let index = 0, state = 1; index < pixels.length; index++) {
      state = (Math.imul(state, 1103515245) + 12345) >>> 0;
      pixels[index] = state >>> 24;
    }
    for (let index = 0; index < 32; index++) {
      pixels[0] = index; // 32 distinct images
      const name = `photo_${String(index).padStart(2, '0')}.jpg`;
      await writeFile(join(images, name), await encodeRawImage(pixels, size, 'jpeg'));
    }
    await runInPane(images, join(out, 'emb'), '--count 32 --batch-size 16');
    await waitFor(/ok 15 failed/, 60_000);
    tmux('send-keys', '-t', 'e2e', 'C-c');
    await waitFor(/stopping/);
    tmux('send-keys', '-t', 'e2e', 'C-c');
    // The CLI ends by SIGINT (see source/commands/forced-quit.ts), so bash drops the rest of the line (the echo)
    // as after any Ctrl+C, and reports 130 as $?: read it at the next prompt.
    await waitFor(/^bash-[\d.]+# *$/m);
    type('echo "STATUS=$?"');
    await waitFor(/^STATUS=130$/m);
    assert.doesNotMatch(screen(), /EXIT=\d|terminate called|Napi::Error|Aborted/);
    const names = existsSync(join(out, 'emb')) ? await readdir(join(out, 'emb')) : [];
    assert.deepEqual(
      names.filter((name) => name.startsWith('.tmp-')),
      [],
      'no partial file',
    );
    await assertTerminalRestored();
  });
});
