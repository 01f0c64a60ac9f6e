/**
 * Grows a synthetic collection and rebuilds its merged view, over and over, until killed: the parent test kills
 * it with SIGKILL at random moments and checks that the view is always one whole generation.
 */

import {openCollectionWriter} from '../../../source/core/collection/writer.js';
import {appendRows} from '../helpers.js';

const dir = process.argv[2]!;
for (let round = Number(process.argv[3] ?? 0); ; round++) {
  await appendRows(dir, [`r${round}-a.jpg`, `r${round}-b.jpg`, `r${round}-c.jpg`], round, 2);
  const writer = await openCollectionWriter({embeddingsDir: dir});
  try {
    await writer.writeMergedView();
  } finally {
    await writer.close();
  }
  process.stdout.write(`merged ${round}\n`);
}
