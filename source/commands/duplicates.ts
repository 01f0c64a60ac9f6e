import {resolve} from 'node:path';
import {readManifest} from '../core/collection/manifest.js';
import {
  applyDuplicateMoves,
  planDuplicateMoves,
  undoDuplicateMoves,
} from '../core/duplicates/collection-moves.js';
import {latestJournal} from '../core/duplicates/move-journal.js';
import {planMoves} from '../core/duplicates/move-plan.js';
import {parseDuplicateChoices} from '../core/duplicates/options.js';
import {scanDuplicates} from '../core/duplicates/scan.js';
import {viewScan} from '../core/duplicates/scan-view.js';
import {UserError} from '../core/errors.js';
import {defineCommand} from './command.js';
import {printApplied, printPlan, printScan, printUndo} from './duplicates-output.js';
import {EXIT} from './exit-codes.js';
import {embeddingsFlag} from './options/folders.js';
import {printJson} from './output.js';

const usage = `
  Usage
    $ visual-cortex duplicates [--embeddings DIR] [--method phash|clip|both] [--threshold T] [--json]
    $ visual-cortex duplicates --move-to DIR [--keep largest|oldest|first] [--apply]
    $ visual-cortex duplicates --undo (--move-to DIR | --journal FILE)

  Finds groups of exact copies (same SHA-256) and near copies, joined transitively, largest groups first.
  phash: perceptual hashes kept beside each row by embed (resized, recompressed, lightly cropped or
  recoloured copies); clip: cosine of the embeddings; both: either. --move-to plans moving all but one file
  of each group out of the images folder (a dry run); --apply moves them, journaled, and takes their rows
  out of the collection; --undo puts them back from the journal.

  Options
    --embeddings DIR       the collection (default data/embeddings)
    --method M             phash (default) | clip | both
    --threshold T          phash: differing bits, 0-32 (default 10); clip: cosine in (0, 1] (default 0.95)
    --phash-threshold B    with --method both
    --clip-threshold C     with --method both
    --keep K               which file a group keeps: largest (default, most pixels) | oldest | first
    --move-to DIR          where the others go (outside the images folder); a dry run without --apply
    --apply                move them (journal: DIR/duplicate-moves-*.jsonl)
    --dry-run              show the plan only (the default)
    --undo                 undo the newest journal in --move-to DIR, or --journal FILE
    --journal FILE         the journal to write (--apply) or to undo (--undo)
    --json                 print the groups (and plan, moves or undo) as JSON

  Exit codes: 0 done, 1 some files could not be moved or restored, 2 a usage error, 130 stopped.

  Examples
    $ visual-cortex duplicates
    $ visual-cortex duplicates --method both --clip-threshold 0.97 --json
    $ visual-cortex duplicates --move-to ../duplicates --keep largest --apply
    $ visual-cortex duplicates --undo --move-to ../duplicates
`;

export const duplicatesCommand = defineCommand({
  name: 'duplicates',
  summary: 'find exact and near-duplicate images; move the extras out, with undo',
  usage,
  flags: {
    embeddingsDir: embeddingsFlag(),
    method: {type: 'string', default: 'phash'},
    threshold: {type: 'number'},
    phashThreshold: {type: 'number'},
    clipThreshold: {type: 'number'},
    keep: {type: 'string', default: 'largest'},
    moveTo: {type: 'string'},
    apply: {type: 'boolean', default: false},
    dryRun: {type: 'boolean', default: false},
    undo: {type: 'boolean', default: false},
    journal: {type: 'string'},
  },
  async run({flags, io, signal, explicitFlags}) {
    const json = Boolean(flags.json);
    const embeddingsDir = resolve(flags.embeddingsDir);
    if (flags.undo) {
      if (!flags.journal && !flags.moveTo)
        throw new UserError(
          '--undo needs the journal',
          'give --move-to DIR (its newest journal) or --journal FILE',
        );
      const journalPath = flags.journal
        ? resolve(flags.journal)
        : await latestJournal(resolve(flags.moveTo!));
      const report = await undoDuplicateMoves({
        journalPath,
        embeddingsDir: explicitFlags.has('embeddings') ? embeddingsDir : undefined,
        signal,
      });
      if (json) printJson(io, report);
      else printUndo(io, report);
      if (report.interrupted) return EXIT.interrupted;
      return report.undo.counts.conflict + report.undo.counts.failed > 0 ? 1 : 0;
    }
    if (flags.apply && flags.dryRun)
      throw new UserError('--apply and --dry-run contradict each other', 'give one of them');
    if (flags.apply && !flags.moveTo)
      throw new UserError('--apply moves files to --move-to DIR, which is missing', 'add --move-to DIR');
    const choices = parseDuplicateChoices(flags);
    const moveTo = flags.moveTo ? resolve(flags.moveTo) : undefined;
    if (moveTo) {
      // Refuse a --move-to inside the images folder before the scan, not after it.
      const manifest = await readManifest(embeddingsDir);
      if (manifest)
        planMoves({groups: [], rows: [], keep: choices.keep, imagesDir: manifest.header.images_dir, moveTo});
    }
    const scan = await scanDuplicates({
      embeddingsDir,
      method: choices.method,
      phashThreshold: choices.phashThreshold,
      clipThreshold: choices.clipThreshold,
      signal,
      onEvent: (event) => {
        if (json) return;
        if (event.type === 'loaded' && event.missingHashes > 0)
          io.stderr.write(`making ${event.missingHashes} perceptual hashes the shards lack…\n`);
      },
    });
    const view = viewScan(scan, choices.keep);
    const plan = moveTo && !scan.interrupted ? planDuplicateMoves(scan, choices.keep, moveTo) : undefined;
    const applied =
      plan && flags.apply && !signal.aborted
        ? await applyDuplicateMoves({scan, plan, journalPath: flags.journal, signal})
        : undefined;
    if (json) printJson(io, {...view, plan: plan ?? null, applied: applied ?? null});
    else {
      for (const note of scan.notes) io.stderr.write(`note: ${note}\n`);
      printScan(io, view);
      if (applied) printApplied(io, applied);
      else if (plan) printPlan(io, plan);
    }
    if (scan.interrupted || applied?.interrupted) return EXIT.interrupted;
    const {counts} = applied?.moves ?? {counts: {failed: 0, conflict: 0, changed: 0}};
    return counts.failed + counts.conflict + counts.changed > 0 ? 1 : 0;
  },
});
