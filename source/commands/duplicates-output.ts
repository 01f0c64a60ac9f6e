/** How `duplicates` prints: groups as aligned text, plans, move and undo results. */
import type {ApplyReport, UndoApplyReport} from '../core/duplicates/collection-moves.js';
import type {MovePlan} from '../core/duplicates/move-plan.js';
import type {ScanView} from '../core/duplicates/scan-view.js';
import type {Io} from './command.js';
import {formatBytes, printLine} from './output.js';

function score(member: ScanView['groups'][number]['members'][number]): string {
  if (member.kind === 'representative') return '';
  if (member.kind === 'exact') return 'same bytes';
  const parts: string[] = [];
  if (member.phashDistance !== undefined) parts.push(`phash ${member.phashDistance} bits`);
  if (member.clipScore !== undefined) parts.push(`cosine ${member.clipScore.toFixed(4)}`);
  return `${parts.join(', ')}${member.transitive ? ' (via another member)' : ''}`;
}

export function printScan(io: Io, view: ScanView): void {
  const thresholds =
    view.method === 'phash'
      ? `phash <= ${view.thresholds.phash} bits`
      : view.method === 'clip'
        ? `cosine >= ${view.thresholds.clip}`
        : `phash <= ${view.thresholds.phash} bits or cosine >= ${view.thresholds.clip}`;
  printLine(
    io,
    `${view.groupCount} group${view.groupCount === 1 ? '' : 's'} of duplicates among ${view.rows} images: ${view.duplicateRows} to spare (${thresholds}; keep ${view.keep}; ${view.seconds.toFixed(1)} s)`,
  );
  const nameWidth = Math.min(
    60,
    Math.max(4, ...view.groups.flatMap((group) => group.members.map((member) => member.file.length))),
  );
  view.groups.forEach((group, index) => {
    printLine(io);
    printLine(io, `group ${index + 1}  ${group.kind}  ${group.members.length} files`);
    for (const member of group.members) {
      const size = member.missing ? member.missing : `${member.width}x${member.height}`;
      printLine(
        io,
        `  ${member.action === 'keep' ? 'keep' : 'dup '}  ${member.file.padEnd(nameWidth)}  ${size.padStart(11)}  ${formatBytes(member.bytes).padStart(8)}  ${score(member)}`.trimEnd(),
      );
    }
  });
}

export function printPlan(io: Io, plan: MovePlan): void {
  printLine(io);
  printLine(
    io,
    `dry run: would move ${plan.moves.length} file${plan.moves.length === 1 ? '' : 's'} (${formatBytes(plan.bytes)}) to ${plan.moveTo}; add --apply to move them`,
  );
  for (const move of plan.moves) printLine(io, `  ${move.file} -> ${move.to}`);
  for (const skip of plan.skipped) printLine(io, `  skipped ${skip.file}: ${skip.reason}`);
}

export function printApplied(io: Io, report: ApplyReport): void {
  const {counts} = report.moves;
  printLine(io);
  printLine(
    io,
    `moved ${counts.moved + counts.renamed} file${counts.moved + counts.renamed === 1 ? '' : 's'} (${counts.renamed} under a free name); ${report.tombstoned} rows left the collection${report.viewRewritten ? ', merged view rewritten' : ''}`,
  );
  for (const outcome of report.moves.outcomes)
    if (outcome.status !== 'moved')
      printLine(io, `  ${outcome.status} ${outcome.file}${outcome.reason ? `: ${outcome.reason}` : ''}`);
  if (report.stale > 0)
    printLine(io, `  ${report.stale} planned rows changed since the scan and were left alone`);
  printLine(io, `journal: ${report.journalPath}`);
  printLine(io, `undo with: visual-cortex duplicates --undo --journal '${report.journalPath}'`);
}

export function printUndo(io: Io, report: UndoApplyReport): void {
  const {counts} = report.undo;
  printLine(
    io,
    `undo of ${report.journalPath}: ${counts.restored} restored, ${counts['in-place']} already in place, ${counts.missing} missing, ${counts.conflict} conflicts, ${counts.failed} failed`,
  );
  for (const outcome of report.undo.outcomes)
    if (outcome.status !== 'restored' && outcome.status !== 'in-place')
      printLine(io, `  ${outcome.status} ${outcome.from}${outcome.reason ? `: ${outcome.reason}` : ''}`);
  if (report.embeddingsDir)
    printLine(io, `${report.rowsRestored} rows back in the collection ${report.embeddingsDir}`);
}
