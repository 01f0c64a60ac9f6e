/**
 * The cluster's live status: shard counts with a progress bar, a row per worker (host, shard, stage, images/s,
 * memory), the total rate and ETA, and failed shards with their reasons. Renders the same ClusterStatus report that
 * `cluster status --json` prints; ClusterStatusScreen re-reads it every few seconds until q, Esc or Ctrl+C.
 */
import {Box, Text, useInput} from 'ink';
import {useEffect, useState} from 'react';
import type {ClusterStatus, WorkerRow} from '../core/cluster/status.js';
import {formatBytes, formatRate, formatSeconds, progressBar, shorten} from './format.js';
import {failureOf} from './status-lines.js';

const SHOWN_FAILURES = 5;
/** A worker that has not written progress for this long is probably gone (its lock will expire). */
const SILENT_SECONDS = 10;

const isSilent = (row: WorkerRow) => row.silentSeconds !== null && row.silentSeconds > SILENT_SECONDS;

/** One worker in under 80 columns: name, shard, stage, done/total, rate, memory now / at its peak. */
function workerLine(row: WorkerRow): string {
  const name = shorten(row.worker, 20).padEnd(20);
  if (row.shard === null) return `${name} idle`;
  const memory = row.rssBytes === null ? '?' : formatBytes(row.rssBytes);
  const peak = row.peakRssBytes === null ? '?' : formatBytes(row.peakRssBytes);
  return (
    `${name} ${row.shard} ${String(row.stage).padEnd(7)}${`${row.done}/${row.total}`.padStart(11)}` +
    `${(isSilent(row) ? `silent ${row.silentSeconds?.toFixed(0)} s` : formatRate(row.imagesPerSecond, 'img')).padStart(12)}` +
    `  ${memory} / ${peak}`
  );
}

export function ClusterStatusView({status, error}: {status: ClusterStatus; error?: string | undefined}) {
  const {counts, record} = status;
  const total = record?.shards ?? counts.waiting + counts.active + counts.completed + counts.failed;
  const hosts = new Set(status.workers.map((row) => row.host)).size;
  return (
    <Box flexDirection="column">
      <Text bold>
        Cluster · queue {status.queue} on {status.address}
      </Text>
      <Text dimColor>
        {record
          ? `${record.images} images from ${record.source} -> ${record.embeddingsDir} (${record.model} ${record.dtype})`
          : 'nothing submitted yet'}
      </Text>
      <Text>
        {progressBar(counts.completed, total, 30)} {counts.completed}/{total} shards
      </Text>
      <Text>
        <Text color="cyan">{counts.waiting} waiting</Text> ·{' '}
        <Text color="yellow">{counts.active} active</Text> ·{' '}
        <Text color="green">{counts.completed} completed</Text> ·{' '}
        <Text color={counts.failed > 0 ? 'red' : undefined}>{counts.failed} failed</Text>
        {counts.delayed > 0 ? ` · ${counts.delayed} retrying` : ''}
      </Text>
      <Box flexDirection="column" marginTop={1}>
        <Text bold>
          Workers ({new Set(status.workers.map((row) => row.worker)).size} on {hosts} host
          {hosts === 1 ? '' : 's'})
        </Text>
        {status.workers.length === 0 && <Text dimColor> none connected</Text>}
        {status.workers.map((row) => (
          <Text key={`${row.worker}/${row.shard ?? ''}`} color={isSilent(row) ? 'red' : undefined}>
            {'  '}
            {workerLine(row)}
          </Text>
        ))}
      </Box>
      <Text>
        Total {formatRate(status.imagesPerSecond, 'img')} · {status.imagesLeft} images left · ETA{' '}
        {formatSeconds(status.etaSeconds)}
      </Text>
      {status.failures.length > 0 && (
        <Box flexDirection="column" marginTop={1}>
          <Text color="red">Failed shards (visual-cortex cluster retry-failed puts them back):</Text>
          {status.failures.slice(0, SHOWN_FAILURES).map((failure) => (
            <Text key={failure.id} color="red">
              {'  '}
              {failure.id} after {failure.attempts} attempt(s): {shorten(failure.reason, 100)}
            </Text>
          ))}
          {status.failures.length > SHOWN_FAILURES && (
            <Text color="red"> … and {status.failures.length - SHOWN_FAILURES} more</Text>
          )}
        </Box>
      )}
      {error && <Text color="yellow">cannot refresh: {error}</Text>}
    </Box>
  );
}

export interface ClusterStatusScreenProps {
  /** Reads the status (the command passes readClusterStatus; tests a fake). */
  read: () => Promise<ClusterStatus>;
  intervalMs?: number;
  onQuit: () => void;
}

/** Polls `read` (one read at a time) and shows the latest status; a failed read keeps the last one on screen. */
export function ClusterStatusScreen({read, intervalMs = 2_000, onQuit}: ClusterStatusScreenProps) {
  const [status, setStatus] = useState<ClusterStatus | null>(null);
  const [error, setError] = useState<string | undefined>();
  useInput((input, key) => {
    if (key.escape || input === 'q' || (key.ctrl && input === 'c')) onQuit();
  });
  // biome-ignore lint/correctness/useExhaustiveDependencies: one polling loop per mount
  useEffect(() => {
    let stopped = false;
    let timer: NodeJS.Timeout | undefined;
    const tick = async () => {
      try {
        const next = await read();
        if (stopped) return;
        setStatus(next);
        setError(undefined);
      } catch (caught) {
        if (!stopped) {
          const failure = failureOf(caught);
          setError(failure.hint ? `${failure.message} (fix: ${failure.hint})` : failure.message);
        }
      }
      if (!stopped) timer = setTimeout(tick, intervalMs);
    };
    void tick();
    return () => {
      stopped = true;
      clearTimeout(timer);
    };
  }, []);
  return (
    <Box flexDirection="column">
      {status ? <ClusterStatusView status={status} error={error} /> : <Text>reading the queue…</Text>}
      {!status && error && <Text color="red">cannot read the queue: {error}</Text>}
      <Text dimColor>refreshes every {Math.round(intervalMs / 1000)} s · q quit</Text>
    </Box>
  );
}
