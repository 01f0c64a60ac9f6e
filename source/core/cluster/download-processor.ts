/**
 * The interim ShardProcessor: fetches a shard's URLs with the downloader into `<imagesDir>/shards/<id>/` (a
 * folder of its own, so a retried shard resumes there) and returns the kept files in the spec's order; a folder
 * source is read in place. Embedding and the shard commit are not wired yet: see the TODO below.
 */
import {mkdtemp, rm, writeFile} from 'node:fs/promises';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {downloadImages} from '../download/download-images.js';
import {loadIndex} from '../download/download-index.js';
import type {DownloadEvent} from '../download/types.js';
import {shardItems} from './shard-specs.js';
import type {ShardFailure, ShardProcessor, ShardResult} from './types.js';

/** Where a shard's downloads go, relative to the images folder. */
export function shardImagesFolder(id: string): string {
  return `shards/${id}`;
}

export function createDownloadProcessor(): ShardProcessor {
  return async (spec, {signal, onProgress, record}) => {
    const started = Date.now();
    const items = shardItems(spec.source);
    const total = items.length;
    let files: string[];
    const failures: ShardFailure[] = [];
    if (spec.source.kind === 'files') {
      // The images folder of a folder source is that folder: every worker reads it where it is.
      files = spec.source.names;
      onProgress({stage: 'download', done: total, total, failed: 0});
    } else {
      const relative = shardImagesFolder(spec.id);
      const folder = join(record.imagesDir, relative);
      const scratch = await mkdtemp(join(tmpdir(), `vc-shard-${spec.id}-`));
      const reasons = new Map<string, string>();
      let done = 0;
      const onEvent = (event: DownloadEvent) => {
        switch (event.type) {
          case 'start':
            done = event.alreadyPresent;
            break;
          case 'kept':
            done++;
            break;
          case 'failed':
            reasons.set(event.url, `${event.reason}: ${event.message}`);
            done++;
            break;
          case 'duplicate':
            reasons.set(event.url, `duplicate of ${event.existing}`);
            done++;
            break;
          default:
            return;
        }
        onProgress({stage: 'download', done, total, failed: reasons.size});
      };
      try {
        const urlsFile = join(scratch, 'urls.txt');
        await writeFile(urlsFile, `${items.map((item) => item.url).join('\n')}\n`);
        await downloadImages({
          provider: 'urls',
          urlsFile,
          count: total,
          imagesDir: folder,
          workers: Math.min(record.downloadWorkers, total),
          signal,
          onEvent,
        });
      } finally {
        await rm(scratch, {recursive: true, force: true});
      }
      signal.throwIfAborted();
      // The index, not this run's report: a shard resumed after a crash kept some of its images in an earlier run.
      const byUrl = new Map((await loadIndex(folder)).map((entry) => [entry.url, entry.name]));
      files = [];
      for (const {url} of items) {
        const name = byUrl.get(url);
        if (name !== undefined) files.push(`${relative}/${name}`);
        else failures.push({item: url, reason: reasons.get(url) ?? 'not downloaded'});
      }
    }
    // TODO(lead, issues 24 + streaming run): embed `files` (relative to record.imagesDir) with the streaming
    // pipeline and commit them with the collection writer's idempotent commitShard({id: spec.id, rows...}) into
    // record.embeddingsDir; then rows, sha256 and committed come from the commit.
    const result: ShardResult = {
      rows: files.length,
      failed: failures.length,
      failures,
      files,
      sha256: null,
      committed: false,
      seconds: (Date.now() - started) / 1000,
    };
    return result;
  };
}
