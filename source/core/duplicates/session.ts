/**
 * The duplicates screen's engine: one scan of a collection with the default choices, then moving what the user
 * marked to a folder beside the images folder (`<images>-duplicates`), journaled, with the undo command to show.
 */
import {applyDuplicateMoves, planMarkedMoves} from './collection-moves.js';
import {defaultMoveTo} from './move-plan.js';
import {type DuplicateChoices, parseDuplicateChoices} from './options.js';
import {type DuplicateScan, scanDuplicates} from './scan.js';
import {type ScanView, viewScan} from './scan-view.js';

export interface DuplicatesSession {
  scan(): Promise<ScanView>;
  /** Moves every group member not in `keep`; returns lines that say what happened. */
  apply(keep: ReadonlySet<number>): Promise<string[]>;
}

export function duplicatesSession(
  embeddingsDir: string,
  choices: DuplicateChoices = parseDuplicateChoices({}),
): DuplicatesSession {
  let scanned: DuplicateScan | undefined;
  return {
    async scan() {
      scanned = await scanDuplicates({embeddingsDir, ...choices});
      return viewScan(scanned, choices.keep);
    },
    async apply(keep) {
      if (!scanned) throw new Error('apply before scan');
      const plan = planMarkedMoves(scanned, keep, defaultMoveTo(scanned.imagesDir));
      const report = await applyDuplicateMoves({scan: scanned, plan});
      const {counts} = report.moves;
      const problems = report.moves.outcomes.filter((o) => o.status !== 'moved' && o.status !== 'renamed');
      return [
        `moved ${counts.moved + counts.renamed} files (${(plan.bytes / 2 ** 20).toFixed(1)} MB) to ${plan.moveTo}`,
        ...problems.map((o) => `${o.status} ${o.file}${o.reason ? `: ${o.reason}` : ''}`),
        `undo: visual-cortex duplicates --undo --journal '${report.journalPath}'`,
      ];
    },
  };
}
