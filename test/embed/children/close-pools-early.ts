// Child of preprocess-pool.test.ts: closes pools at every moment of their life, starting included, with a JPEG
// in flight. A worker terminated while a native module (koffi, for libturbojpeg) initialised aborted the whole
// process ("FATAL ERROR: Error::ThrowAsJavaScriptException napi_throw"): then no line is printed.
import {readFile} from 'node:fs/promises';
import {createPreprocessPool} from '../../../source/core/embed/preprocess-pool.js';
import {parsePreprocessorConfig} from '../../../source/core/image/clip-preprocess.js';

const fixtures = new URL('../../fixtures/', import.meta.url);
const config = parsePreprocessorConfig(
  JSON.parse(await readFile(new URL('tiny-clip/preprocessor_config.json', fixtures), 'utf8')),
);
const image = await readFile(new URL('images/wide_1023x511.jpg', fixtures));
const rounds = 40;
for (let round = 0; round < rounds; round++) {
  const pool = createPreprocessPool(config, 2);
  const tensor = new Float32Array(new SharedArrayBuffer(2 * 3 * config.cropHeight * config.cropWidth * 4));
  // Odd rounds close while the workers start (0-72 ms in); even ones once they are ready, as the first images
  // reach them (0-4 ms later), which is when a lazily loaded decoder would initialise.
  if (round % 2 === 0) await pool.ready;
  const jobs = [0, 1].map((slot) =>
    pool.preprocessInto(image, tensor, slot * tensor.length * 0.5).catch(() => {}),
  );
  const delayMs = round % 2 === 0 ? (round / 2) % 5 : (round % 10) * 8;
  await new Promise((resolve) => setTimeout(resolve, delayMs));
  await pool.close();
  await Promise.all(jobs);
}
process.stdout.write(`closed ${rounds} pools\n`);
