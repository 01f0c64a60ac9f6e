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
  return (
    <Box flexDirection="column">
      <Text bold color={report.interrupted ? 'yellow' : 'green'}>
        {report.interrupted
          ? `Run stopped during ${report.stoppedDuring ?? 'the run'} (interrupted)`
          : 'Run complete'}{' '}
        in {formatSeconds(report.seconds)}
      </Text>
      {download && (
        <Text>
          Download: {download.kept} new + {download.alreadyPresent} already there = {download.total} images,{' '}
          failed {download.failed}, duplicates {download.duplicates}, {formatBytes(download.bytes)}
        </Text>
      )}
      {download?.sourceError && (
        <Text color="yellow"> the URL source stopped early: {download.sourceError}</Text>
      )}
      {failureReasons.map(([reason, count]) => (
        <Text key={reason} color="yellow">
          {'  '}
          {reason}: {count}
        </Text>
      ))}
      {shortfall && (
        <Box flexDirection="column">
          <Text color="yellow">
            {shortfall.missing} short of {download?.requested}: {shortfall.why}
          </Text>
          <Text color="yellow"> fix: {shortfall.fix}</Text>
        </Box>
      )}
      {embed && (embed.collection !== null || embed.failed > 0) ? (
        <Text>
          Embed: {embed.ok} embedded, {embed.failed} failed, {embed.imagesPerSecond.toFixed(1)} img/s
          {embed.interrupted ? ' (interrupted, outputs are consistent)' : ''}
        </Text>
      ) : (
        <Text dimColor>
          Embed: nothing embedded{report.interrupted ? ' (stopped first; earlier outputs untouched)' : ''}
        </Text>
      )}
      {embed?.failures.slice(0, 5).map((failure) => (
        <Text key={failure.file} color="yellow">
          {'  '}
          {failure.file}: {failure.reason}
        </Text>
      ))}
      <Box flexDirection="column" marginTop={1}>
        <Text>Images: {report.imagesDir}</Text>
        {report.outputFiles.map((file) => (
          <Text key={file}>Output: {file}</Text>
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
