import assert from 'node:assert/strict';
import {mkdtemp, rm} from 'node:fs/promises';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {after, before, test} from 'node:test';
import type {FastifyInstance} from 'fastify';
import {readLiveRows} from '../../source/core/collection/live-index.js';
import {readCollectionState} from '../../source/core/collection/state.js';
import {buildServer} from '../../source/server/app.js';
import {duplicatesService} from '../../source/server/duplicates-service.js';
import {makePhotoCollection} from '../duplicates/photo-collection.js';
import {launchChromium} from '../helpers/chromium.js';
import {fakeBackend} from './fake-backend.js';

let root: string;
let server: FastifyInstance;
let base: string;
const token = 'duplicates-test-token';
const auth = {authorization: `Bearer ${token}`};

before(async () => {
  root = await mkdtemp(join(tmpdir(), 'vc-serve-dups-'));
  const {images, embeddings} = await makePhotoCollection(root);
  const files = (await readLiveRows((await readCollectionState(embeddings))!)).map((row) => row.file);
  // The fake backend's search, with the real duplicates service and images by row, as the collection backend has.
  const backend = {
    ...fakeBackend(),
    duplicates: duplicatesService(embeddings),
    imagePath: async (id: number) => (files[id] === undefined ? undefined : join(images, files[id]!)),
  };
  server = await buildServer({backend, token});
  base = await server.listen({host: '127.0.0.1', port: 0});
});
after(async () => {
  await server.close();
  await rm(root, {recursive: true, force: true});
});

async function get(path: string, headers: Record<string, string> = auth) {
  const response = await fetch(`${base}${path}`, {headers});
  return {status: response.status, body: (await response.json()) as Record<string, unknown>};
}

test('GET /api/duplicates pages the groups, with sizes, scores and no server paths', async () => {
  const {status, body} = await get('/api/duplicates?limit=2');
  assert.equal(status, 200, JSON.stringify(body));
  assert.equal(body.groupCount, 3);
  assert.equal(body.rows, 11);
  const groups = body.groups as {keep: string; members: {file: string; width: number; action: string}[]}[];
  assert.equal(groups.length, 2);
  assert.deepEqual(
    groups.map((group) => group.members.length),
    [3, 3],
  );
  assert.ok(groups.every((group) => group.members.filter((member) => member.action === 'keep').length === 1));
  assert.equal(body.embeddingsDir, undefined);
  assert.equal(body.imagesDir, undefined);
  assert.doesNotMatch(JSON.stringify(body), new RegExp(root.replace(/[/\\.]/g, '\\$&')));
  const rest = await get('/api/duplicates?offset=2&limit=2');
  assert.equal((rest.body.groups as unknown[]).length, 1);
});

test('GET /api/duplicates needs the token and refuses bad parameters', async () => {
  assert.equal((await get('/api/duplicates', {})).status, 401);
  for (const query of [
    'limit=0',
    'limit=101',
    'offset=-1',
    'method=md5',
    'threshold=40',
    'threshold=0x10',
    'method=clip&threshold=1.5',
    'method=both&threshold=0.9',
    'keep=newest',
    'path=/etc',
    'limit=1&limit=2',
  ]) {
    const {status, body} = await get(`/api/duplicates?${query}`);
    assert.equal(status, 400, `${query}: ${JSON.stringify(body)}`);
    assert.equal(typeof body.error, 'string');
  }
});

test('the duplicates page shows the groups as thumbnails (headless Chromium)', async (t) => {
  const browser = await launchChromium(t);
  if (!browser) return;
  try {
    const page = await browser.newPage();
    await page.goto(`${base}/duplicates#token=${token}`);
    await page.waitForSelector('section.group');
    assert.equal(await page.locator('section.group').count(), 3);
    assert.equal(await page.locator('figure').count(), 9);
    assert.equal(await page.locator('figure.keep').count(), 3);
    assert.match(
      (await page.locator('#status').textContent()) ?? '',
      /3 groups among 11 images · 6 to spare/,
    );
    assert.match(
      (await page.locator('section.group h2').first().textContent()) ?? '',
      /near · 3 files · keeps /,
    );
    await page.waitForFunction(
      "[...document.querySelectorAll('figure img')].every((img) => img.naturalWidth > 0)",
    );
    // Another threshold: 0 bits leaves only identical hashes.
    await page.fill('#threshold', '0');
    await page.click('button[type=submit]');
    await page.waitForFunction("!document.getElementById('status')?.textContent?.startsWith('finding')");
    assert.match((await page.locator('#status').textContent()) ?? '', /^\d+ groups among 11 images/);
  } finally {
    await browser.close();
  }
});
