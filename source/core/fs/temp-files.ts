/**
 * The temp files and folders this process is writing (atomic writes, streamed .npy rows, shards), so that a
 * forced exit (a second Ctrl+C) can remove them on its way out. An orderly stop renames or removes its own;
 * only SIGKILL or a crash leaves one behind, and the next run into that folder removes it.
 */
import {rmSync} from 'node:fs';

const inProgress = new Set<string>();

export function trackTempFile(path: string): void {
  inProgress.add(path);
}

export function untrackTempFile(path: string): void {
  inProgress.delete(path);
}

/** Synchronous, because it runs on the way out of `process.exit` (its 'exit' event). */
export function removeTrackedTempFiles(): void {
  for (const path of inProgress) {
    try {
      // Recursive: a shard or merged view is staged as a whole temp folder.
      rmSync(path, {recursive: true, force: true});
    } catch {
      // Already gone, or the platform refuses to unlink an open file: the next run cleans it up.
    }
  }
  inProgress.clear();
}
