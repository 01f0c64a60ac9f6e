/** The human table and the JSON history of runs. */
import {readFile} from 'node:fs/promises';
import {writeFileAtomic} from '../source/core/fs/atomic-write.js';
import type {BenchReport} from './suite.js';
import type {ContenderOutcome, MixResult, StageCpu} from './summary.js';

export function formatTable(report: BenchReport): string {
  const lines: string[] = [];
  const mixes = Object.entries(report.config.mixes)
    .map(
      ([mix, sizes]) =>
        `${mix} ${Object.entries(sizes)
          .map(([size, count]) => `${count} x ${size}`)
          .join(' + ')}`,
    )
    .join('; ');
  lines.push(
    `${report.config.model}; batch ${report.config.batch_size}; ${report.config.threads} threads; ` +
      `best of ${report.config.rounds} round(s)`,
  );
  lines.push(`mixes: ${mixes}`);
  lines.push(
    `${report.host.cpus} x ${report.host.cpu_model}, node ${report.host.node}; load average ` +
      `${report.host.load_average_start.join(' ')} -> ${report.host.load_average_end.join(' ')}`,
  );
  lines.push('CPU ms per image: read / decode / resample+normalise / inference, and total in the run');
  lines.push('');
  lines.push(
    row(['dtype', 'mix', 'contender', 'images/s', 'vs bare', 'vs tjs', 'RSS MB', 'CPU ms/image', 'rounds']),
  );
  for (const [dtype, byMix] of Object.entries(report.results)) {
    for (const [mix, result] of Object.entries(byMix ?? {}) as [string, MixResult][]) {
      for (const [contender, outcome] of Object.entries(result.contenders) as [string, ContenderOutcome][]) {
        if ('error' in outcome) {
          lines.push(row([dtype, mix, contender, `error: ${outcome.error.split('\n')[0]}`]));
          continue;
        }
        const ratios =
          contender === 'embed'
            ? [result.ratio_to_ceiling, result.ratio_to_transformers_js]
            : contender === 'embed-fast'
              ? [result.fast_ratio_to_ceiling, result.fast_ratio_to_transformers_js]
              : [undefined, undefined];
        lines.push(
          row([
            dtype,
            mix,
            contender,
            outcome.images_per_second.toFixed(2),
            ratios[0]?.toFixed(3) ?? '',
            ratios[1]?.toFixed(3) ?? '',
            String(outcome.peak_rss_mb),
            stages(outcome.stage_cpu_ms),
            outcome.rounds_images_per_second.join(' '),
          ]),
        );
        if (contender === 'embed' && result.ratio_to_ceiling_by_round) {
          lines.push(
            `${' '.repeat(8)}vs bare round by round: ${result.ratio_to_ceiling_by_round.map((ratio) => ratio.toFixed(3)).join(' ')}` +
              ` (median ${result.ratio_to_ceiling_median?.toFixed(3)})`,
          );
        }
        const profile = outcome.profile;
        if (profile) {
          lines.push(
            `${' '.repeat(8)}${profile.sessions} session(s), inference ${profile.inferenceSeconds.toFixed(1)} s, model idle ` +
              `${profile.modelIdleSeconds.toFixed(1)} s of ${outcome.seconds.toFixed(1)}, preprocess (overlapped) ` +
              `${profile.preprocessSeconds.toFixed(1)} s` +
              (profile.workers
                ? `, workers ${profile.workers.initial} -> most ${profile.workers.most} -> ${profile.workers.final}`
                : '') +
              (profile.jpegDecoder ? `, JPEGs by ${profile.jpegDecoder}` : ''),
          );
        }
        const bound =
          contender === 'embed'
            ? result.bound_to_transformers_js
            : contender === 'embed-fast'
              ? result.fast_bound_to_transformers_js
              : undefined;
        if (bound !== undefined) {
          lines.push(
            `${' '.repeat(8)}the CPU allows at most ${bound.toFixed(2)} x transformers.js ` +
              '(cores / (bare inference + preprocessing CPU ms per image, measured apart))',
          );
        }
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
    lines.push('preprocessing cost per image apart from the run, 1 thread (CPU ms): exact | fast decode');
    if ('error' in report.preprocess) lines.push(`  error: ${report.preprocess.error.split('\n')[0]}`);
    else
      for (const [name, set] of Object.entries(report.preprocess.sets)) {
        lines.push(
          `  ${name}: read+hash ${set.readAndHash.cpuMs.toFixed(1)}, decode ${set.decode.cpuMs.toFixed(1)} | ` +
            `${set.decodeFast.cpuMs.toFixed(1)}, whole ${set.preprocess.cpuMs.toFixed(1)} | ${set.preprocessFast.cpuMs.toFixed(1)}`,
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
  const stream = report.stream;
  if (stream)
    lines.push(
      'error' in stream
        ? `streaming run: error: ${stream.error.split('\n')[0]}`
        : `streaming run, ${stream.images} images, server latency ${stream.server_latency_ms} ms, ` +
            `${stream.workers} workers: download alone ${stream.download_seconds} s, embed alone ` +
            `${stream.embed_seconds} s, run ${stream.run_seconds} s; ratio ${stream.ratio.toFixed(3)}`,
    );
  lines.push('targets:');
  for (const check of report.targets) {
    lines.push(
      `  ${check.pass ? 'PASS' : 'FAIL'} ${check.name}: ${check.value ?? 'n/a'} (target ${check.target}` +
        `${check.cpu_bound === undefined ? '' : `; the CPU allows at most ${check.cpu_bound}`})`,
    );
  }
  return lines.join('\n');
}

function stages(cpu: StageCpu | undefined): string {
  if (!cpu) return '';
  const part = (value: number | undefined) => (value === undefined ? '-' : value.toFixed(0));
  const read =
    cpu.read_decode !== undefined
      ? `${part(cpu.read_decode)} (read+decode)`
      : `${part(cpu.read)}/${part(cpu.decode)}`;
  return `${read}/${part(cpu.resample_normalise)}/${part(cpu.inference)}, ${part(cpu.total)}`;
}

function row(cells: string[]): string {
  const widths = [5, 6, 16, 9, 8, 8, 7, 28];
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
