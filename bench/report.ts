/** The human table and the JSON history of runs. */
import {readFile} from 'node:fs/promises';
import {writeFileAtomic} from '../source/core/fs/atomic-write.js';
import type {BenchReport, ContenderOutcome} from './suite.js';

export function formatTable(report: BenchReport): string {
  const lines: string[] = [];
  const images = Object.entries(report.config.images)
    .map(([size, count]) => `${count} x ${size}`)
    .join(' + ');
  lines.push(
    `${report.config.model}; ${images}; batch ${report.config.batch_size}; ${report.config.threads} threads; ` +
      `best of ${report.config.rounds} round(s)`,
  );
  lines.push(
    `${report.host.cpus} x ${report.host.cpu_model}, node ${report.host.node}; load average ` +
      `${report.host.load_average_start.join(' ')} -> ${report.host.load_average_end.join(' ')}`,
  );
  lines.push('');
  lines.push(row(['dtype', 'contender', 'images/s', 'vs bare', 'vs tjs', 'peak RSS MB', 'load s', 'rounds']));
  for (const [dtype, byContender] of Object.entries(report.results)) {
    for (const [contender, outcome] of Object.entries(byContender ?? {}) as [string, ContenderOutcome][]) {
      if ('error' in outcome) {
        lines.push(row([dtype, contender, `error: ${outcome.error.split('\n')[0]}`]));
        continue;
      }
      lines.push(
        row([
          dtype,
          contender,
          outcome.images_per_second.toFixed(2),
          outcome.ratio_to_ceiling?.toFixed(3) ?? '',
          outcome.ratio_to_transformers_js?.toFixed(3) ?? '',
          String(outcome.peak_rss_mb),
          (outcome.load_ms / 1000).toFixed(2),
          outcome.rounds_images_per_second.join(' '),
        ]),
      );
      if (outcome.ratio_to_ceiling_by_round) {
        lines.push(
          `${' '.repeat(6)}vs bare round by round: ${outcome.ratio_to_ceiling_by_round.map((ratio) => ratio.toFixed(3)).join(' ')}` +
            ` (median ${outcome.ratio_to_ceiling_median?.toFixed(3)})`,
        );
      }
      if (outcome.profile) {
        const profile = outcome.profile;
        lines.push(
          `${' '.repeat(6)}embed profile: ${profile.sessions} session(s), inference ${profile.inferenceSeconds.toFixed(1)} s, model idle ` +
            `${profile.modelIdleSeconds.toFixed(1)} s, preprocess (overlapped) ${profile.preprocessSeconds.toFixed(1)} s, ` +
            `write ${profile.writeSeconds.toFixed(2)} s${profile.jpegDecoder ? `, JPEGs by ${profile.jpegDecoder}` : ''}`,
        );
      }
    }
  }
  lines.push('');
  lines.push(
    'preprocessing fidelity vs reference pixel_values (max |diff| / mean |diff|, normalised units):',
  );
  for (const [name, fidelity] of Object.entries(report.fidelity)) {
    if (!fidelity) continue;
    lines.push(
      'error' in fidelity
        ? `  ${name}: error: ${fidelity.error.split('\n')[0]}`
        : `  ${name}: ${fidelity.maxAbs.toFixed(4)} / ${fidelity.meanAbs.toFixed(5)} (square_224: ` +
            `${(fidelity.perImageMaxAbs['square_224.png'] ?? Number.NaN).toExponential(1)})`,
    );
  }
  if (report.preprocess) {
    lines.push('preprocessing cost per image, 1 libvips thread (wall / CPU ms):');
    if ('error' in report.preprocess) lines.push(`  error: ${report.preprocess.error.split('\n')[0]}`);
    else
      for (const [name, set] of Object.entries(report.preprocess.sets)) {
        const pair = (cost: {wallMs: number; cpuMs: number}) =>
          `${cost.wallMs.toFixed(1)} / ${cost.cpuMs.toFixed(1)}`;
        lines.push(
          `  ${name}: read+hash ${pair(set.readAndHash)}, decode ${pair(set.decode)}, ` +
            `preprocessImageInto ${pair(set.preprocess)}`,
        );
      }
  }
  if (report.rss_10k) {
    lines.push(
      'error' in report.rss_10k
        ? `memory run: error: ${report.rss_10k.error.split('\n')[0]}`
        : `memory run: ${report.rss_10k.images} images fp32, peak RSS ${report.rss_10k.peak_rss_mb} MB, ` +
            `${report.rss_10k.images_per_second} images/s`,
    );
  }
  for (const download of report.download ?? []) {
    if ('error' in download) {
      lines.push(`downloader: error: ${download.error.split('\n')[0]}`);
      continue;
    }
    const ours =
      'error' in download.download
        ? `error: ${download.download.error.split('\n')[0]}`
        : `${download.download.imagesPerSecond.toFixed(0)} images/s (${download.download.ok} ok, ` +
          `peak RSS ${download.download.peakRssMb.toFixed(0)} MB)`;
    lines.push(
      `downloader, server latency ${download.server_latency_ms} ms: ${download.images} images of ` +
        `~${Math.round(download.meanBytes / 1000)} KB, ${download.workers} workers: download ${ours}; ` +
        `${download.curl.version} ${download.curl.imagesPerSecond.toFixed(0)} images/s; ` +
        `ratio ${download.ratio_to_curl?.toFixed(3) ?? 'n/a'}`,
    );
  }
  lines.push('');
  lines.push('targets:');
  for (const check of report.targets) {
    lines.push(
      `  ${check.pass ? 'PASS' : 'FAIL'} ${check.name}: ${check.value ?? 'n/a'} (target ${check.target})`,
    );
  }
  return lines.join('\n');
}

function row(cells: string[]): string {
  const widths = [6, 16, 9, 8, 8, 12, 7];
  return cells
    .map((cell, index) => cell.padEnd(widths[index] ?? 0))
    .join(' ')
    .trimEnd();
}

/**
 * Appends a run to the committed history (a JSON array), atomically. Other benches' entries (bench/duplicates-
 * scale.ts) share the file and say which bench they are in a `bench` field.
 */
export async function appendHistory(path: string, report: BenchReport | {bench: string}): Promise<void> {
  const history = await readFile(path, 'utf8').then(
    (text) => JSON.parse(text) as unknown[],
    () => [] as unknown[],
  );
  history.push(report);
  await writeFileAtomic(path, `${JSON.stringify(history, null, 2)}\n`);
}
