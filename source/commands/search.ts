import {resolve} from 'node:path';
import {parseDevice} from '../core/embed/embedder.js';
import {UserError} from '../core/errors.js';
import {parseDtype, resolveModelsDir} from '../core/model/model-folder.js';
import {buildSearchIndex} from '../core/search/build-index.js';
import {describeQuery, parseQuery, type Query, type QueryTerm} from '../core/search/query.js';
import {createSearcher, INDEX_CHOICES, type IndexChoice, type SearchResult} from '../core/search/searcher.js';
import {defineCommand, type Io} from './command.js';
import {EXIT} from './exit-codes.js';
import {embeddingsFlag} from './options/folders.js';
import {printJson, printLine} from './output.js';

const usage = `
  Usage
    $ visual-cortex search QUERY [options]
    $ visual-cortex search --image PATH [options]
    $ visual-cortex search --build-index [--embeddings DIR]

  Query syntax
    a red car                        bare words: one text
    '"cat" - "dog"'                  + and - add and subtract terms (quote the whole query for the shell)
    '"beach" + image:me.jpg'         an image file as a term (image:"with spaces.jpg")
    '"sunset" + 0.5*id:42'           W* weighs a term; id:N is the image stored in row N

  Options
    --embeddings DIR   the embeddings folder (default data/embeddings)
    -k, --limit N      how many results (default 10)
    --image PATH       search by an image (repeatable; added to any text query)
    --model M          model name or folder (default: the one in metadata.json)
    --dtype D          fp32 | q8 | fp16 (default: the one in metadata.json)
    --device D         cpu (default) | cuda | coreml | dml | webgpu
    --index I          auto (default: the HNSW index if one is built and fresh, else exact) | exact | hnsw
    --build-index      build the HNSW index beside the embeddings and report its recall
    --json             print {"results": [{"rank", "file", "score"}], ...}

  Examples
    $ visual-cortex search "a red car" -k 5
    $ visual-cortex search '"a dog on a beach" - "sand"' --json
    $ visual-cortex search --image holiday/IMG_0042.jpg --embeddings data/embeddings
`;

function buildQuery(input: string[], images: string[]): Query | undefined {
  const text = input.join(' ').trim();
  const terms: QueryTerm[] = text ? parseQuery(text).terms : [];
  for (const image of images) terms.push({kind: 'image', image: resolve(image), weight: 1});
  return terms.length > 0 ? {terms} : undefined;
}

function parseIndex(value: string): IndexChoice {
  if ((INDEX_CHOICES as readonly string[]).includes(value)) return value as IndexChoice;
  throw new UserError(`unknown index '${value}'`, `use --index ${INDEX_CHOICES.join(' | ')}`);
}

function printResults(io: Io, results: SearchResult[]): void {
  if (results.length === 0) printLine(io, '  (no results)');
  const width = String(results.length).length;
  for (const result of results) {
    printLine(
      io,
      `  ${String(result.rank).padStart(width)}  ${result.score.toFixed(4).padStart(7)}  ${result.file}  (id:${result.id})`,
    );
  }
}

export const searchCommand = defineCommand({
  name: 'search',
  summary: 'search the embeddings by text or by image',
  usage,
  flags: {
    embeddingsDir: embeddingsFlag('dir'),
    limit: {type: 'number', shortFlag: 'k', default: 10},
    image: {type: 'string', isMultiple: true},
    model: {type: 'string'},
    dtype: {type: 'string'},
    device: {type: 'string', default: 'cpu'},
    index: {type: 'string', default: 'auto'},
    buildIndex: {type: 'boolean', default: false},
  },
  async run({input, flags, io, signal, env}) {
    const index = parseIndex(flags.index);
    const dir = resolve(flags.embeddingsDir);
    const query = buildQuery(input, flags.image ?? []);
    if (!query && !flags.buildIndex)
      throw new UserError('nothing to search for', 'give a text query, --image PATH, or --build-index');
    if (!Number.isInteger(flags.limit) || flags.limit < 1)
      throw new UserError(`-k must be a positive whole number, got ${flags.limit}`, 'use -k 10');

    const report: Record<string, unknown> = {};
    if (flags.buildIndex) {
      if (!flags.json) io.stderr.write(`building the HNSW index for ${dir}…\n`);
      const meta = await buildSearchIndex({dir, signal});
      report.builtIndex = meta;
      if (!flags.json) {
        const recall = meta.recall;
        printLine(
          io,
          `HNSW index: ${meta.rows} rows, ${meta.dims}-d, m ${meta.settings.m}, ef ${meta.settings.efSearch}`,
        );
        if (recall)
          printLine(
            io,
            `recall@${recall.k} vs exact search: ${recall.recall.toFixed(4)} (${recall.queries} stored rows as queries)`,
          );
      }
      if (!query) {
        if (flags.json) printJson(io, report);
        return EXIT.done;
      }
    }

    const searcher = await createSearcher({
      dir,
      modelsDir: resolveModelsDir(flags.modelsDir, env),
      model: flags.model,
      dtype: flags.dtype ? parseDtype(flags.dtype) : undefined,
      device: parseDevice(flags.device),
      index,
    });
    try {
      const results = await searcher.search(query!, flags.limit);
      signal.throwIfAborted();
      if (flags.json) {
        printJson(io, {
          ...report,
          query: describeQuery(query!),
          model: searcher.modelName,
          dtype: searcher.dtype,
          index: searcher.index,
          count: searcher.count,
          notes: searcher.notes,
          results: results.map(({rank, file, score}) => ({rank, file, score})),
        });
      } else {
        for (const note of searcher.notes) io.stderr.write(`note: ${note}\n`);
        printLine(
          io,
          `${describeQuery(query!)}: top ${results.length} of ${searcher.count} (${searcher.modelName} ${searcher.dtype}, ${searcher.index} search)`,
        );
        printResults(io, results);
      }
      return EXIT.done;
    } finally {
      await searcher.close();
    }
  },
});
