import {isAbsolute, resolve} from 'node:path';
import {parseDevice} from '../core/embed/embedder.js';
import {UserError} from '../core/errors.js';
import {parseDtype, resolveModelsDir} from '../core/model/model-folder.js';
import {buildSearchIndex} from '../core/search/build-index.js';
import {describeQuery, parseQuery, type Query, type QueryTerm} from '../core/search/query.js';
import {readQuerySources} from '../core/search/query-sources.js';
import {checkMinScore, underPrefix} from '../core/search/result-filter.js';
import {createSearcher, INDEX_CHOICES, type IndexChoice, type SearchResult} from '../core/search/searcher.js';
import {defineCommand, type Io} from './command.js';
import {EXIT} from './exit-codes.js';
import {embeddingsFlag, optionalImagesFlag} from './options/folders.js';
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
    '"2:golden retriever" + beach'   W: weighs a term too, inside the quotes or before it
    '"cat" + https://host/cat.jpg'   an image link: fetched with the downloader's checks (20 MB, 30 s,
                                     must be a real image), or url:LINK for a link without an extension

  Options
    --embeddings DIR   the embeddings folder (default data/embeddings)
    -k, --limit N      how many results (default 10)
    --min-score S      drop results scoring under S (a cosine, -1 to 1; CLIP text-image matches are
                       mostly 0.15-0.35, image-image 0.5-1)
    --under SUBDIR     only images in this subfolder of the images folder (searched exactly)
    --paths-only       print one absolute image path per line and nothing else (for pipes)
    --images DIR       the images folder the stored names are relative to (default: the recorded one)
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
    $ visual-cortex search '"2:golden retriever" + beach - "text"' --min-score 0.2 --under dogs
    $ visual-cortex search 'a red car' --paths-only -k 50 | xargs -d '\\n' cp -t ~/cars
`;

function buildQuery(input: string[], images: string[]): Query | undefined {
  const text = input.join(' ').trim();
  const terms: QueryTerm[] = text ? parseQuery(text).terms : [];
  for (const image of images) terms.push({kind: 'image', image: resolve(image), weight: 1});
  return terms.length > 0 ? {terms} : undefined;
}

/** A plain decimal (no hex, exponents or blanks), checked to be a cosine. */
function parseMinScore(raw: string | undefined): number | undefined {
  if (raw === undefined) return undefined;
  if (!/^-?(\d+(\.\d+)?|\.\d+)$/.test(raw.trim()))
    throw new UserError(`--min-score must be a number, got '${raw}'`, 'use --min-score 0.25');
  return checkMinScore(Number(raw));
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
    minScore: {type: 'string'},
    under: {type: 'string'},
    pathsOnly: {type: 'boolean', default: false},
    imagesDir: optionalImagesFlag(),
  },
  async run({input, flags, io, signal, env}) {
    const index = parseIndex(flags.index);
    const dir = resolve(flags.embeddingsDir);
    const query = buildQuery(input, flags.image ?? []);
    if (!query && !flags.buildIndex)
      throw new UserError('nothing to search for', 'give a text query, --image PATH, or --build-index');
    if (!Number.isInteger(flags.limit) || flags.limit < 1)
      throw new UserError(`-k must be a positive whole number, got ${flags.limit}`, 'use -k 10');
    const minScore = parseMinScore(flags.minScore);
    if (flags.pathsOnly && flags.json)
      throw new UserError('--paths-only and --json both choose what stdout holds', 'give one of them');
    // A relative --under that escapes is refused before any work; an absolute one needs the images folder.
    if (flags.under !== undefined && !isAbsolute(flags.under)) underPrefix(flags.under, undefined);

    const report: Record<string, unknown> = {};
    if (flags.buildIndex) {
      const quiet = flags.json || flags.pathsOnly;
      if (!flags.json) io.stderr.write(`building the HNSW index for ${dir}…\n`);
      const meta = await buildSearchIndex({embeddingsDir: dir, signal});
      report.builtIndex = meta;
      if (!quiet) {
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

    // Images are read and checked before the models load, so a bad path or link fails at once.
    const resolved = await readQuerySources(query!, {signal});
    const searcher = await createSearcher({
      embeddingsDir: dir,
      modelsDir: resolveModelsDir(flags.modelsDir, env),
      model: flags.model,
      dtype: flags.dtype ? parseDtype(flags.dtype) : undefined,
      device: parseDevice(flags.device),
      index,
    });
    try {
      const imagesDir = flags.imagesDir ? resolve(flags.imagesDir) : searcher.imagesDir;
      const under = flags.under === undefined ? undefined : (underPrefix(flags.under, imagesDir) ?? '.');
      const results = await searcher.search(resolved, flags.limit, {minScore, under});
      signal.throwIfAborted();
      if (flags.pathsOnly) {
        if (imagesDir === undefined && results.length > 0)
          throw new UserError(
            `the embeddings in ${dir} record no images folder, so the paths cannot be made absolute`,
            'pass --images DIR (the folder that was embedded)',
          );
        for (const note of searcher.notes) io.stderr.write(`note: ${note}\n`);
        for (const result of results) printLine(io, resolve(imagesDir!, result.file));
      } else if (flags.json) {
        printJson(io, {
          ...report,
          query: describeQuery(query!),
          model: searcher.modelName,
          dtype: searcher.dtype,
          index: searcher.index,
          count: searcher.count,
          notes: searcher.notes,
          minScore: minScore ?? null,
          under: flags.under ?? null,
          results: results.map(({rank, file, score}) => ({rank, file, score})),
        });
      } else {
        for (const note of searcher.notes) io.stderr.write(`note: ${note}\n`);
        printLine(
          io,
          `${describeQuery(query!)}: top ${results.length} of ${searcher.count}${minScore === undefined ? '' : `, score >= ${minScore}`}${under ? ` under ${under}` : ''} (${searcher.modelName} ${searcher.dtype}, ${under ? 'exact' : searcher.index} search)`,
        );
        printResults(io, results);
      }
      return EXIT.done;
    } finally {
      await searcher.close();
    }
  },
});
