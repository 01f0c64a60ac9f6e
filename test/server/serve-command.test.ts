/** The serve command wires the guards: --allow-host names, read-only without a token, bad flags as user errors. */
import assert from 'node:assert/strict';
import {spawn, spawnSync} from 'node:child_process';
import {rm} from 'node:fs/promises';
import {after, test} from 'node:test';
import {MODELS_DIR, makeFixtureCollection} from '../search/fixture-collection.js';
import {multipartBody, rawRequest} from './raw-http.js';

const dirs: string[] = [];
after(async () => {
  for (const dir of dirs) await rm(dir, {recursive: true, force: true});
});

const cliArgs = ['--import', 'tsx', 'source/cli.tsx', 'serve', '--models-dir', MODELS_DIR, '--no-cache'];

test('serve --allow-host answers that name, refuses others, and takes no uploads without a token', async () => {
  const {dir} = await makeFixtureCollection();
  dirs.push(dir);
  const child = spawn(
    process.execPath,
    [...cliArgs, '--dir', dir, '--port', '0', '--json', '--allow-host', 'photos.example,.lan.example'],
    {stdio: ['ignore', 'pipe', 'pipe']},
  );
  let stdout = '';
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk;
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
  try {
    const started = await new Promise<{url: string; uploads: boolean}>((resolve, reject) => {
      child.stdout.on('data', (chunk: Buffer) => {
        stdout += chunk;
        try {
          resolve(JSON.parse(stdout));
        } catch {}
      });
      void exited.then((code) => reject(new Error(`serve exited with ${code}: ${stderr}`)));
    });
    assert.equal(started.uploads, false);
    const port = new URL(started.url).port;
    const stats = (host: string) => rawRequest(started.url, {path: '/api/stats', headers: {host}});
    assert.equal((await stats(`photos.example:${port}`)).status, 200);
    assert.equal((await stats(`box.lan.example:${port}`)).status, 200);
    assert.equal((await stats(`rebind.evil.example:${port}`)).status, 403);
    const form = multipartBody([{name: 'a.png', data: new Uint8Array(8)}]);
    const upload = await rawRequest(started.url, {
      method: 'POST',
      path: '/api/embed',
      headers: {'content-type': form.contentType},
      body: form.body,
    });
    assert.equal(upload.status, 403);
  } finally {
    child.kill('SIGTERM');
  }
  assert.equal(await exited, 0, stderr);
});

test('serve refuses an --allow-host that is not a host name, and a --max-k out of range', () => {
  for (const flags of [
    ['--allow-host', 'photos.example,http://evil.example:8080'],
    ['--max-k', '0'],
  ]) {
    const result = spawnSync(process.execPath, [...cliArgs, '--dir', 'nowhere', ...flags], {
      encoding: 'utf8',
      timeout: 60_000,
    });
    assert.equal(result.status, 2, `${flags.join(' ')}: ${result.stderr}`);
    assert.match(result.stderr, /--(allow-host|max-k)/);
  }
});
