/**
 * Renders docs/dashboard.svg from a real run: the built CLI's dashboard in tmux at a fixed size, downloading from a
 * local image server (slowed down so the workers are caught mid-transfer) with the fixture model, captured with its
 * colours and turned into an SVG. `npm run docs:picture` builds first; needs tmux.
 *
 *   node --import tsx scripts/render-dashboard.ts [--out docs/dashboard.svg] [--ansi FILE]
 */
import {execFileSync, spawnSync} from 'node:child_process';
import {EventEmitter} from 'node:events';
import {existsSync} from 'node:fs';
import {mkdtemp, rm, writeFile} from 'node:fs/promises';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {fileURLToPath} from 'node:url';
import {parseArgs} from 'node:util';
import {startImageServer} from '../test/helpers/image-server.js';
import {ansiScreenToSvg} from './ansi-to-svg.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const CLI = join(ROOT, 'dist', 'source', 'cli.js');
const MODEL = join(ROOT, 'test', 'fixtures', 'tiny-clip');
const COLUMNS = 100;
const ROWS = 30;
const COUNT = 48;

const {values} = parseArgs({
  options: {out: {type: 'string', default: join(ROOT, 'docs', 'dashboard.svg')}, ansi: {type: 'string'}},
});

// The slow answers keep one keep-alive socket busy for many requests, each adding a close listener.
EventEmitter.defaultMaxListeners = 64;

const sleep = (ms: number) => new Promise((done) => setTimeout(done, ms));

async function main(): Promise<void> {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run 'npm run build' first`);
  if (spawnSync('tmux', ['-V']).status !== 0) throw new Error('tmux is needed (apt-get install -y tmux)');
  const dir = await mkdtemp(join(tmpdir(), 'vc-picture-'));
  // Every body arrives in timed pieces, so the capture finds workers mid-transfer with a speed to show; a few
  // answers fail as real hosts do (a 503 that a retry gets past, an HTML page that is refused).
  const server = await startImageServer({
    count: COUNT * 2,
    padToBytes: 96 * 1024,
    plan: ({url, hit}) => {
      const index = Number(/random=(\d+)/.exec(url)?.[1] ?? 0);
      if (index % 9 === 4 && hit === 1) return 'status:503';
      if (index === 11) return 'html';
      return 'slow-body:1600';
    },
  });
  const socket = `vc-picture-${process.pid}`;
  const tmux = (...args: string[]) => execFileSync('tmux', ['-L', socket, ...args], {encoding: 'utf8'});
  try {
    const env = [
      `PATH=${process.env.PATH}`,
      `HOME=${dir}`,
      'TERM=xterm-256color',
      'HISTFILE=/dev/null',
      `VISUAL_CORTEX_PICSUM_URL=${server.origin}`,
      `VISUAL_CORTEX_CONFIG_DIR=${join(dir, 'config')}`,
    ];
    // The default folders (data/images, data/embeddings) under a temp working directory keep the command short.
    const command = ['node', CLI, 'run', '--count', String(COUNT), '--workers', '6', '--model', MODEL];
    tmux('new-session', '-d', '-s', 'pic', '-x', String(COLUMNS), '-y', String(ROWS), '-c', dir);
    tmux('respawn-pane', '-k', '-t', 'pic', 'env', '-i', ...env, ...command);
    const screen = await waitFor(
      () => tmux('capture-pane', '-p', '-t', 'pic'),
      (text) => {
        const kept = /kept (\d+) failed/.exec(text);
        return (
          kept !== null &&
          Number(kept[1]) >= COUNT * 0.4 &&
          (text.match(/receiving +\S+ +[1-9]/g)?.length ?? 0) >= 3
        );
      },
    );
    const ansi = tmux('capture-pane', '-e', '-p', '-t', 'pic');
    if (values.ansi) await writeFile(values.ansi, ansi);
    const svg = ansiScreenToSvg(ansi, {columns: COLUMNS, rows: ROWS, title: 'visual-cortex run'});
    await writeFile(values.out!, svg);
    console.log(`wrote ${values.out} from:\n${screen.trimEnd()}`);
  } finally {
    spawnSync('tmux', ['-L', socket, 'kill-server']);
    await server.close();
    await rm(dir, {recursive: true, force: true, maxRetries: 5});
  }
}

async function waitFor(read: () => string, ready: (text: string) => boolean, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const text = read();
    if (ready(text)) return text;
    if (Date.now() > deadline) throw new Error(`timed out waiting for the run screen; screen:\n${text}`);
    await sleep(50);
  }
}

await main();
