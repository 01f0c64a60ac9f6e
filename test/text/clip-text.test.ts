import assert from 'node:assert/strict';
import {readFile} from 'node:fs/promises';
import {join} from 'node:path';
import {test} from 'node:test';
import {readFloat32Matrix} from '../../source/core/npy.js';
import {loadClipTokenizer} from '../../source/core/text/clip-tokenizer.js';
import {openTextEncoder} from '../../source/core/text/text-encoder.js';

const MODEL = 'test/fixtures/tiny-clip';
const GOLDEN = 'test/fixtures/golden';

interface GoldenTokens {
  texts: string[];
  unpadded_input_ids: number[][];
  padded_input_ids: number[][];
  attention_mask: number[][];
}

async function goldenTokens(): Promise<GoldenTokens> {
  return JSON.parse(await readFile(join(GOLDEN, 'tokens.json'), 'utf8')) as GoldenTokens;
}

function cosine(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i++) {
    dot += a[i]! * b[i]!;
    na += a[i]! * a[i]!;
    nb += b[i]! * b[i]!;
  }
  return dot / Math.sqrt(na * nb);
}

test('the tokenizer reproduces the reference ids for all 15 golden strings, unpadded and padded', async () => {
  const golden = await goldenTokens();
  const tokenizer = await loadClipTokenizer(join(MODEL, 'tokenizer.json'));
  assert.equal(golden.texts.length, 15);
  assert.deepEqual(
    [tokenizer.bosId, tokenizer.eosId, tokenizer.padId, tokenizer.contextLength],
    [729, 730, 730, 77],
  );
  golden.texts.forEach((text, index) => {
    assert.deepEqual(
      tokenizer.tokenize(text),
      golden.unpadded_input_ids[index],
      `unpadded ${JSON.stringify(text)}`,
    );
    const encoded = tokenizer.encode(text);
    assert.deepEqual(encoded.inputIds, golden.padded_input_ids[index], `padded ${JSON.stringify(text)}`);
    assert.deepEqual(encoded.attentionMask, golden.attention_mask[index], `mask ${JSON.stringify(text)}`);
    assert.equal(encoded.truncated, golden.unpadded_input_ids[index]!.length > 77);
  });
  // The long caption really is truncated, and keeps EOS last.
  const long = tokenizer.encode(golden.texts[12]!);
  assert.equal(long.truncated, true);
  assert.equal(long.inputIds[76], 730);
});

test('a missing tokenizer file is a user error that names the file', async () => {
  await assert.rejects(loadClipTokenizer('/nonexistent/tokenizer.json'), {
    name: 'UserError',
    message: /\/nonexistent\/tokenizer\.json/,
  });
});

test('text embeddings match the reference (fp32: cosine >= 0.9999, max abs diff bounded)', async () => {
  const golden = await goldenTokens();
  const expected = readFloat32Matrix(await readFile(join(GOLDEN, 'text_embeds_normalized.npy')));
  const expectedRaw = readFloat32Matrix(await readFile(join(GOLDEN, 'text_embeds.npy')));
  const encoder = await openTextEncoder({
    modelPath: join(MODEL, 'onnx/text_model.onnx'),
    tokenizerPath: join(MODEL, 'tokenizer.json'),
    batchSize: 4,
  });
  try {
    assert.equal(encoder.dims, 512);
    const vectors = await encoder.embedTexts(golden.texts);
    const raw = await encoder.embedTextsRaw(golden.texts);
    let worstCosine = 1;
    let worstAbs = 0;
    vectors.forEach((vector, row) => {
      const reference = expected.data.subarray(row * 512, (row + 1) * 512);
      worstCosine = Math.min(worstCosine, cosine(vector, reference));
      for (let i = 0; i < 512; i++)
        worstAbs = Math.max(worstAbs, Math.abs(raw[row]![i]! - expectedRaw.data[row * 512 + i]!));
    });
    // Measured: worst cosine 0.99999994, max abs diff 2.5e-6 on the raw outputs.
    assert.ok(worstCosine >= 0.9999, `worst cosine ${worstCosine}`);
    assert.ok(worstAbs < 2e-5, `max abs diff ${worstAbs}`);
  } finally {
    await encoder.close();
  }
});

test('the quantised text model stays close to the reference', async () => {
  const golden = await goldenTokens();
  const expected = readFloat32Matrix(await readFile(join(GOLDEN, 'text_embeds_normalized.npy')));
  const encoder = await openTextEncoder({
    modelPath: join(MODEL, 'onnx/text_model_quantized.onnx'),
    tokenizerPath: join(MODEL, 'tokenizer.json'),
  });
  try {
    const vectors = await encoder.embedTexts(golden.texts);
    const worst = Math.min(
      ...vectors.map((vector, row) => cosine(vector, expected.data.subarray(row * 512, (row + 1) * 512))),
    );
    // Measured: worst cosine 0.99832 (the texts' own pairwise cosines go up to 0.928).
    assert.ok(worst >= 0.997, `worst q8 cosine ${worst}`);
  } finally {
    await encoder.close();
  }
});
