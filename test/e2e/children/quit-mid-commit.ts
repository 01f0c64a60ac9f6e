// Child of forced-quit.test.ts: writes an output set and asks for a forced quit between its renames (the .npy
// files in place, metadata.json not yet), as a second Ctrl+C at that moment would. The quit must let the commit
// finish, then end the process by SIGINT.
import {quitNow} from '../../../source/commands/forced-quit.js';
import type {EmbedMetadata} from '../../../source/core/embed/metadata.js';
import {writeEmbeddingOutputs} from '../../../source/core/embed/outputs.js';

const [dir] = process.argv.slice(2);
if (!dir) throw new Error('usage: quit-mid-commit.ts DIR');
const rows = 4;
const dims = 8;
const vectors = new Float32Array(rows * dims);
for (let row = 0; row < rows; row++) vectors[row * dims + row] = 1;
await writeEmbeddingOutputs(
  dir,
  {vectors, count: rows, dims, filenames: ['a.jpg', 'b.jpg', 'c.jpg', 'd.jpg']},
  () => {
    quitNow('SIGINT', {stderr: process.stderr});
    return {interrupted: true} as Omit<EmbedMetadata, 'files'>;
  },
);
