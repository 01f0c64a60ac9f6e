/**
 * The web UI's search controls in headless Chromium, over planted vectors: weighted terms in the query box, the
 * min-score slider, the folder filter, and an image dropped anywhere on the page.
 */
import assert from 'node:assert/strict';
import {readFile, rm} from 'node:fs/promises';
import {join} from 'node:path';
import {after, before, test} from 'node:test';
import type {FastifyInstance} from 'fastify';
import {buildServer} from '../../source/server/app.js';
import {openCollectionBackend} from '../../source/server/collection-backend.js';
import {launchChromium} from '../helpers/chromium.js';
import {FIXTURE_IMAGES_DIR} from '../helpers/image-server.js';
import {MODELS_DIR} from '../search/fixture-collection.js';
import {makePlantedCollection} from '../search/planted.js';

let root: string;
let server: FastifyInstance;
let base: string;
const token = 'web-search-token';

before(async () => {
  const made = await makePlantedCollection();
  root = made.root;
  server = await buildServer({
    backend: await openCollectionBackend({embeddingsDir: made.dir, modelsDir: MODELS_DIR}),
    token,
  });
  base = await server.listen({host: '127.0.0.1', port: 0});
});
after(async () => {
  await server.close();
  await rm(root, {recursive: true, force: true});
});

test('weighted terms, the min-score slider, the folder filter and drag-and-drop (headless Chromium)', async (t) => {
  const browser = await launchChromium(t);
  if (!browser) return;
  try {
    const page = await browser.newPage();
    const files = () =>
      page
        .locator('figure')
        .evaluateAll((all) => all.map((node) => (node as unknown as {title: string}).title.split(' — ')[0]));
    const settled = (text: string) =>
      page.waitForFunction(
        `document.getElementById('status')?.textContent?.includes(${JSON.stringify(text)})`,
      );
    await page.goto(`${base}/#token=${token}`);
    await page.waitForFunction("document.getElementById('stats')?.textContent?.includes('images')");
    assert.match((await page.locator('#help').textContent()) ?? '', /"2:golden retriever" \+ beach - "text"/);

    // id:0 dominates the text term (weight 50 vs 1), so the order is the planted one.
    await page.fill('#query', '50:id:0 + "a dog"');
    await page.press('#query', 'Enter');
    await settled('6 results');
    assert.equal((await files())[0], 'dogs/a.jpg');

    await page.locator('#min-score').fill('0.85');
    await settled('3 results');
    assert.equal(await page.locator('#min-score-value').textContent(), '0.85');
    assert.deepEqual(await files(), ['dogs/a.jpg', 'dogsitter/d.jpg', 'dogs/b.jpg']);

    await page.fill('#under', 'dogs');
    await page.press('#under', 'Enter');
    await settled('2 results');
    assert.deepEqual(await files(), ['dogs/a.jpg', 'dogs/b.jpg']);

    await page.fill('#under', '../etc');
    await page.press('#under', 'Enter');
    await settled('outside the images folder');

    // A dropped image searches by example, with the cut-off and folder still applied.
    await page.fill('#under', 'cats');
    await page.locator('#min-score').fill('0');
    await page.waitForFunction("document.getElementById('min-score-value')?.textContent === 'off'");
    const jpeg = (await readFile(join(FIXTURE_IMAGES_DIR, 'photo_640x480.jpg'))).toString('base64');
    // In the page (a string, so no DOM types are needed here): a real DataTransfer holding a File.
    await page.evaluate(`(() => {
      const bytes = Uint8Array.from(atob(${JSON.stringify(jpeg)}), (char) => char.charCodeAt(0));
      const transfer = new DataTransfer();
      transfer.items.add(new File([bytes], 'holiday.jpg', {type: 'image/jpeg'}));
      const target = document.getElementById('results');
      target.dispatchEvent(new DragEvent('dragenter', {bubbles: true, dataTransfer: transfer}));
      target.dispatchEvent(new DragEvent('drop', {bubbles: true, cancelable: true, dataTransfer: transfer}));
    })()`);
    await settled('results for holiday.jpg');
    assert.deepEqual(await files(), ['cats/c.jpg']);
    assert.equal(await page.evaluate("document.body.classList.contains('dragging')"), false);
  } finally {
    await browser.close();
  }
});
