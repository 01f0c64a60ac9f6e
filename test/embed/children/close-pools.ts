// Child of preprocess-pool.test.ts: opens and closes pools (a request in flight each time) until all are closed.
// If a pending close did not keep the process alive, the event loop would drain first: exit code 13, no line.
import {readFile} from 'node:fs/promises';
import {createPreprocessPool} from '../../../source/core/embed/preprocess-pool.js';
import {parsePreprocessorConfig} from '../../../source/core/image/clip-preprocess.js';

const fixtures = new URL('../../fixtures/', import.meta.url);
const config = parsePreprocessorConfig(
  JSON.parse(await readFile(new URL('tiny-clip/preprocessor_config.json', fixtures), 'utf8')),
);
const image = await readFile(new URL('images/photo_640x480.jpg', fixtures));
for (let round = 0; round < 10; round++) {
  const pool = createPreprocessPool(config, 1);
  await pool.ready;
  const tensor = new Float32Array(new SharedArrayBuffer(3 * config.cropHeight * config.cropWidth * 4));
  pool.preprocessInto(image, tensor, 0).catch(() => {});
  await pool.close();
}
process.stdout.write('all closed\n');
