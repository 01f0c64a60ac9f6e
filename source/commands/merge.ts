import {resolve} from 'node:path';
import {mergeCollection} from '../core/collection/merge.js';
import {defineCommand} from './command.js';
import {exitCodeFor} from './exit-codes.js';
import {embeddingsFlag} from './options/folders.js';
import {printJson, printLine} from './output.js';

export const mergeCommand = defineCommand({
  name: 'merge',
  summary: "rebuild a collection's merged view (image_embeddings.npy, ...) from its shards",
  usage: `
  Usage
    $ visual-cortex merge [--embeddings DIR] [--json]

  An embeddings folder is a collection of shards; image_embeddings.npy, image_filenames.npy and
  metadata.json are its merged view, rebuilt by embed and run at the end. merge rebuilds it by itself:
  after 'embed --no-merged-view', after serve's uploads (serve also rebuilds it when it stops), or after a
  run was killed. Shards committed by a killed run that the manifest missed are added first.
  The new view replaces the old one in one step; stopping merge leaves the old one.

  Options
    --embeddings DIR   the embeddings folder (default data/embeddings)
    --json             print the report as JSON

  Examples
    $ visual-cortex merge
    $ visual-cortex merge --embeddings out/embeddings --json
`,
  flags: {
    embeddingsDir: embeddingsFlag(),
  },
  async run({flags, io, signal}) {
    const json = Boolean(flags.json);
    const report = await mergeCollection({
      embeddingsDir: resolve(flags.embeddingsDir),
      signal,
      onEvent: (event) => {
        if (json) return;
        if (event.type === 'opened') {
          const adopted = event.adopted.length
            ? `; added ${event.adopted.length} shards the manifest missed`
            : '';
          const dropped = event.dropped.length ? `; dropped ${event.dropped.length} lost shards` : '';
          io.stderr.write(`merging ${event.liveRows} rows from ${event.shards} shards${adopted}${dropped}\n`);
        }
      },
    });
    if (json) printJson(io, report);
    else if (report.interrupted) printLine(io, 'merge stopped; the previous merged view is unchanged');
    else {
      printLine(io, `merged view ${report.generation}: ${report.liveRows} rows from ${report.shards} shards`);
      for (const path of Object.values(report.paths ?? {})) printLine(io, `  wrote ${path}`);
    }
    return exitCodeFor({interrupted: report.interrupted, complete: true});
  },
});
