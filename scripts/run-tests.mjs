// Runs every test file under test/ with node's test runner and tsx, so tests need no separate build.
// Node 20's --test has no glob support, hence the walk.
import {spawnSync} from 'node:child_process';
import {mkdtempSync, readdirSync, rmSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';

function findTests(dir) {
  const found = [];
  for (const entry of readdirSync(dir, {withFileTypes: true})) {
    if (entry.name === 'fixtures' || entry.name === 'node_modules') continue;
    const path = join(dir, entry.name);
    if (entry.isDirectory()) found.push(...findTests(path));
    else if (/\.test\.tsx?$/.test(entry.name)) found.push(path);
  }
  return found;
}

const filters = process.argv.slice(2);
const files = findTests('test')
  .filter((file) => filters.length === 0 || filters.some((filter) => file.includes(filter)))
  .sort();
if (files.length === 0) {
  console.error('no test files matched');
  process.exit(1);
}
// `embed` and `run` use the embedding cache by default: tests get their own, never the user's.
const cacheDir = mkdtempSync(join(tmpdir(), 'visual-cortex-test-cache-'));
const result = spawnSync(
  process.execPath,
  ['--import', 'tsx', '--test', '--test-reporter=spec', '--test-concurrency=1', ...files],
  {stdio: 'inherit', env: {VISUAL_CORTEX_CACHE: join(cacheDir, 'embeddings.sqlite'), ...process.env}},
);
rmSync(cacheDir, {recursive: true, force: true});
process.exit(result.status ?? 1);
