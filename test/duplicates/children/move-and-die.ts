// Moves a collection's duplicates and kills itself with SIGKILL after N files moved: a crash mid-run.
import {applyDuplicateMoves, planDuplicateMoves} from '../../../source/core/duplicates/collection-moves.js';
import {scanDuplicates} from '../../../source/core/duplicates/scan.js';

const [embeddingsDir, moveTo, after] = process.argv.slice(2) as [string, string, string];
const scan = await scanDuplicates({embeddingsDir, method: 'phash'});
const plan = planDuplicateMoves(scan, 'largest', moveTo);
let moved = 0;
await applyDuplicateMoves({
  scan,
  plan,
  onEvent: (event) => {
    if (event.type === 'item' && ++moved === Number(after)) process.kill(process.pid, 'SIGKILL');
  },
});
