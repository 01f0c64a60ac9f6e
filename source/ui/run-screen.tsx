import {Box, Text, useInput} from 'ink';
import Spinner from 'ink-spinner';
import {formatBytes, formatRate, formatSeconds, progressBar, shorten} from './format.js';
import type {DownloadView, EmbedView, RunViewState, WorkerRow} from './run-view-state.js';

export interface RunScreenProps {
  state: RunViewState;
  /** Ctrl+C: the owner decides (first press stops gracefully, second quits). */
  onInterrupt: () => void;
}

export function RunScreen({state, onInterrupt}: RunScreenProps) {
  useInput((input, key) => {
    if (key.ctrl && input === 'c') onInterrupt();
  });
  return (
    <Box flexDirection="column">
      <RunLine state={state} />
      {state.download ? (
        <DownloadSection
          download={state.download}
          workers={state.workers}
          active={state.stage === 'download'}
        />
      ) : (
        <Text dimColor>Download: starting…</Text>
      )}
      {state.recentFailures.length > 0 && (
        <Box flexDirection="column" marginLeft={2}>
          {state.recentFailures.map((line, index) => (
            // biome-ignore lint/suspicious/noArrayIndexKey: a fixed-length rolling list
            <Text key={index} color="yellow">
              ! {shorten(line, 90)}
            </Text>
          ))}
        </Box>
      )}
      {state.embed ? <EmbedSection embed={state.embed} /> : <Text dimColor>Embed: loading the model…</Text>}
      {state.memory && (
        <Text>
          Memory RSS {formatBytes(state.memory.rss)} heap {formatBytes(state.memory.heapUsed)} external{' '}
          {formatBytes(state.memory.external)} array buffers {formatBytes(state.memory.arrayBuffers)}
        </Text>
      )}
      <Box marginTop={1}>
        {state.stopping ? (
          <Text color="yellow">
            <Spinner type="dots" /> stopping: finishing the batches in the model and writing outputs… (Ctrl+C
            again quits at once)
          </Text>
        ) : (
          <Text dimColor>Ctrl+C stops gracefully</Text>
        )}
      </Box>
    </Box>
  );
}

/** The whole run on one line: both stages' counts, the rows committed and the run's one ETA. */
function RunLine({state}: {state: RunViewState}) {
  const progress = state.progress;
  if (!progress) return <Text bold>Run</Text>;
  const {download, embed} = progress;
  return (
    <Text>
      <Text bold>Run</Text> downloaded {download.kept}/{download.ended ? download.kept : download.toDownload}
      {' · '}embedded {embed.done}/{embed.expected}
      {' · '}committed {embed.committedRows} rows{' · '}
      {state.stage === 'done' ? 'done' : `ETA ${formatSeconds(progress.etaSeconds)}`}
    </Text>
  );
}

function DownloadSection({
  download,
  workers,
  active,
}: {
  download: DownloadView;
  workers: WorkerRow[];
  active: boolean;
}) {
  const done = download.kept;
  const reasons = Object.entries(download.failedByReason)
    .map(([reason, count]) => `${reason} ${count}`)
    .join(', ');
  return (
    <Box flexDirection="column">
      <Text>
        Download {progressBar(done, download.toDownload)} {done}/{download.toDownload}
        {download.alreadyPresent > 0 ? ` (+${download.alreadyPresent} already there)` : ''} kept{' '}
        {download.kept} failed {download.failed} duplicates {download.duplicates}{' '}
        {formatRate(download.imagesPerSecond, 'img')} {formatBytes(download.bytes)}
      </Text>
      {reasons !== '' && <Text color="yellow"> failures: {reasons}</Text>}
      {active &&
        workers.map((row) => (
          <Text key={row.worker}>
            {'  '}
            {row.state === 'idle' || row.state === 'done' ? ' ' : <Spinner type="dots" />} w{row.worker}{' '}
            {row.state.padEnd(10)} {shorten(row.url ?? '', 48).padEnd(48)} {formatBytes(row.bytesReceived)}
            {row.bytesTotal === null ? '' : `/${formatBytes(row.bytesTotal)}`}{' '}
            {formatRate(row.speed / 1024, 'KB')}
            {row.attempt > 1 ? ` retry ${row.attempt - 1}` : ''}
          </Text>
        ))}
    </Box>
  );
}

function EmbedSection({embed}: {embed: EmbedView}) {
  const total = embed.total ?? 0;
  return (
    <Box flexDirection="column" marginTop={1}>
      <Text>
        Embed {embed.model ?? 'loading model…'} {embed.dtype ?? ''} {embed.device ?? ''}
      </Text>
      <Text>
        {'  '}
        {progressBar(embed.done, total)} {embed.done}/{embed.total ?? '?'} ok {embed.ok} failed {embed.failed}
        {embed.cacheHits > 0 ? ` cached ${embed.cacheHits}` : ''} {formatRate(embed.imagesPerSecond, 'img')}{' '}
        (avg {formatRate(embed.averageImagesPerSecond, 'img')}) batch{' '}
        {embed.batchMs === null ? '--' : `${Math.round(embed.batchMs)} ms`}
      </Text>
      <Text>
        {'  '}committed {embed.committedRows} rows to the collection
      </Text>
      {embed.writing && <Text>{'  '}writing outputs…</Text>}
    </Box>
  );
}
