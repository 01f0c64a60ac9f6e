import {Box, Text, useInput} from 'ink';
import type {RunReport} from '../core/run/run-pipeline.js';
import {explainShortfall, runTakesFlag} from '../core/run/shortfall.js';
import {formatBytes, formatSeconds} from './format.js';

export type SummaryAction = 'validate' | 'search' | 'again' | 'setup' | 'quit';

export interface SummaryScreenProps {
  report: RunReport;
  /** Actions offered; the dashboard leaves out those whose screen is not available. */
  actions: readonly SummaryAction[];
  onAction: (action: SummaryAction) => void;
}

const KEYS: Record<SummaryAction, {key: string; label: string}> = {
  validate: {key: 'v', label: 'validate the outputs'},
  search: {key: 's', label: 'search the embeddings'},
  again: {key: 'r', label: 'run again (resumes: kept images are not downloaded twice)'},
  setup: {key: 'e', label: 'edit the set-up'},
  quit: {key: 'q', label: 'quit'},
};

const SHOWN_FAILURES = 3;

export function SummaryScreen({report, actions, onAction}: SummaryScreenProps) {
  useInput((input, key) => {
    if (key.escape || (key.ctrl && input === 'c')) return onAction('quit');
    const action = actions.find((candidate) => KEYS[candidate].key === input.toLowerCase());
    if (action) onAction(action);
  });
  const download = report.download;
  const embed = report.embed;
  const failureReasons = Object.entries(download?.failedByReason ?? {});
  const shortfall = download && explainShortfall(download, runTakesFlag);
  // Three failed images, then a count: the screen must fit 24 rows with every other line present.
  const shownFailures = embed?.failures.slice(0, SHOWN_FAILURES) ?? [];
  return (
    <Box flexDirection="column">
      <Text bold color={report.interrupted ? 'yellow' : 'green'}>
        {report.interrupted
          ? `Run stopped during ${report.stoppedDuring ?? 'the run'} (interrupted)`
          : 'Run complete'}{' '}
        in {formatSeconds(report.seconds)}
      </Text>
      {download && (
        <Text wrap="truncate-end">
          Download: {download.kept} new + {download.alreadyPresent} already there = {download.total} images,{' '}
          {formatBytes(download.bytes)}, duplicates {download.duplicates}
        </Text>
      )}
      {download && download.failed > 0 && (
        <Text color="yellow" wrap="truncate-end">
          {'  '}failed {download.failed}
          {failureReasons.map(([reason, count]) => ` · ${reason}: ${count}`).join('')}
        </Text>
      )}
      {download?.sourceError && (
        <Text color="yellow" wrap="truncate-end">
          {'  '}the URL source stopped early: {download.sourceError}
        </Text>
      )}
      {shortfall && (
        <Box flexDirection="column">
          <Text color="yellow" wrap="truncate-end">
            {shortfall.missing} short of {download?.requested}: {shortfall.why}
          </Text>
          <Text color="yellow" wrap="truncate-end">
            {'  '}fix: {shortfall.fix}
          </Text>
        </Box>
      )}
      {embed && (embed.collection !== null || embed.failed > 0) ? (
        <Text wrap="truncate-end">
          Embed: {embed.ok} embedded, {embed.failed} failed, {embed.imagesPerSecond.toFixed(1)} img/s
          {embed.interrupted ? ' (interrupted, outputs are consistent)' : ''}
        </Text>
      ) : (
        <Text dimColor wrap="truncate-end">
          Embed: nothing embedded{report.interrupted ? ' (stopped first; earlier outputs untouched)' : ''}
        </Text>
      )}
      {shownFailures.map((failure) => (
        <Text key={failure.file} color="yellow" wrap="truncate-middle">
          {'  '}
          {failure.file}: {failure.reason}
        </Text>
      ))}
      {embed && embed.failed > shownFailures.length && (
        <Text dimColor>
          {'  '}… {embed.failed - shownFailures.length} more (metadata.json lists them)
        </Text>
      )}
      <Box flexDirection="column" marginTop={1}>
        <Text wrap="truncate-middle">Images: {report.imagesDir}</Text>
        {report.outputFiles.map((file) => (
          <Text key={file} wrap="truncate-middle">
            Output: {file}
          </Text>
        ))}
      </Box>
      <Box flexDirection="column" marginTop={1}>
        <Text bold>Next</Text>
        {actions.map((action) => (
          <Text key={action}>
            {'  '}[{KEYS[action].key}] {KEYS[action].label}
          </Text>
        ))}
      </Box>
    </Box>
  );
}
