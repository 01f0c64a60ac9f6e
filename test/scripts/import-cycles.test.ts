/**
 * No import cycles in source/ (type-only and dynamic imports count: each type lives where its owner is). madge
 * reads the import graph the same way `npx madge --circular --extensions ts,tsx source` does.
 */
import assert from 'node:assert/strict';
import {mkdtemp, rm, writeFile} from 'node:fs/promises';
import {createRequire} from 'node:module';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {test} from 'node:test';

type Madge = (
  path: string,
  config: {fileExtensions: string[]; tsConfig?: string},
) => Promise<{circular(): string[][]}>;
const madge = createRequire(import.meta.url)('madge') as Madge;

async function cycles(dir: string): Promise<string[][]> {
  const graph = await madge(dir, {fileExtensions: ['ts', 'tsx'], tsConfig: 'tsconfig.json'});
  return graph.circular();
}

test('source/ has no import cycles', async () => {
  const found = await cycles('source');
  assert.deepEqual(
    found.map((cycle) => cycle.join(' > ')),
    [],
    'move the shared type or function to the module that owns it',
  );
});

test('a type-only import back to the importer is found', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'vc-cycles-'));
  try {
    await writeFile(
      join(dir, 'a.ts'),
      "import {b} from './b.js';\nexport interface A {n: number}\nexport const a = b;\n",
    );
    await writeFile(join(dir, 'b.ts'), "import type {A} from './a.js';\nexport const b: A = {n: 1};\n");
    assert.deepEqual(await cycles(dir), [['a.ts', 'b.ts']]);
  } finally {
    await rm(dir, {recursive: true, force: true});
  }
});
