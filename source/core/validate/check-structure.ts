/**
 * Check 1: the three outputs exist, parse (valid .npy headers and payload sizes, valid JSON object) and the two
 * arrays agree in row count; in a collection, its shards and manifest too (check-collection.ts). Everything later
 * reads the outputs this check loaded.
 */
import {readFile} from 'node:fs/promises';
import {OUTPUT_FILES, outputPaths} from '../embed/outputs.js';
import {describeError} from '../errors.js';
import {type NpyArray, parseNpy, readUnicodeArray} from '../npy.js';
import {checkCollection} from './check-collection.js';
import {type CheckBody, type CheckContext, Findings, isRecord} from './check-context.js';

async function readIfPresent(path: string): Promise<Uint8Array | undefined> {
  try {
    return await readFile(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

export async function checkStructure(context: CheckContext): Promise<CheckBody> {
  const findings = new Findings();
  const collection = await checkCollection(context.dir);
  if (collection?.viewAbsent) {
    context.outputs = collection.outputs;
    const {rows = 0, columns = 0} = collection.outputs ?? {};
    return collection.findings.finish(`no merged view; ${rows} rows x ${columns} read from the shards`);
  }
  const paths = outputPaths(context.dir);
  const [embeddingBytes, filenameBytes, metadataBytes] = await Promise.all([
    readIfPresent(paths.embeddings),
    readIfPresent(paths.filenames),
    readIfPresent(paths.metadata),
  ]);
  const missing = [
    [OUTPUT_FILES.embeddings, embeddingBytes],
    [OUTPUT_FILES.filenames, filenameBytes],
    [OUTPUT_FILES.metadata, metadataBytes],
  ]
    .filter(([, bytes]) => bytes === undefined)
    .map(([name]) => name as string);
  if (missing.length > 0) {
    findings.fail(
      `${missing.join(', ')} ${missing.length === 1 ? 'is' : 'are'} missing in ${context.dir} (run 'visual-cortex embed' to produce them; metadata.json is written last, so a missing one means the run did not finish)`,
    );
  }

  let embeddings: NpyArray | undefined;
  if (embeddingBytes) {
    try {
      embeddings = parseNpy(embeddingBytes);
      if (embeddings.shape.length !== 2) {
        findings.fail(
          `${OUTPUT_FILES.embeddings} has shape (${embeddings.shape.join(', ')}), expected N x D`,
        );
        embeddings = undefined;
      } else {
        findings.ok(`${OUTPUT_FILES.embeddings}: ${embeddings.descr}, ${embeddings.shape.join(' x ')}`);
      }
    } catch (error) {
      findings.fail(`${OUTPUT_FILES.embeddings} does not parse: ${describeError(error)}`);
    }
  }

  let filenames: string[] | undefined;
  if (filenameBytes) {
    try {
      filenames = readUnicodeArray(filenameBytes);
      findings.ok(`${OUTPUT_FILES.filenames}: ${filenames.length} names`);
    } catch (error) {
      findings.fail(`${OUTPUT_FILES.filenames} does not parse: ${describeError(error)}`);
    }
  }

  let metadata: Record<string, unknown> | undefined;
  if (metadataBytes) {
    try {
      const parsed: unknown = JSON.parse(Buffer.from(metadataBytes).toString('utf8'));
      if (isRecord(parsed)) {
        metadata = parsed;
        findings.ok(`${OUTPUT_FILES.metadata}: valid JSON`);
      } else findings.fail(`${OUTPUT_FILES.metadata} is valid JSON but not an object`);
    } catch (error) {
      findings.fail(`${OUTPUT_FILES.metadata} is not valid JSON: ${describeError(error)}`);
    }
  }

  const rows = embeddings?.shape[0] ?? 0;
  const columns = embeddings?.shape[1] ?? 0;
  if (embeddings && filenames && rows !== filenames.length) {
    findings.fail(
      `row counts disagree: ${OUTPUT_FILES.embeddings} has ${rows} rows, ${OUTPUT_FILES.filenames} ${filenames.length} names`,
    );
  }
  if (!findings.failed && embeddings && filenames && metadata) {
    context.outputs = {paths, embeddings, rows, columns, filenames, metadata};
  }
  // After the outputs are set: a damaged shard fails this check but leaves the merged view to the later ones.
  findings.details.push(...(collection?.findings.details ?? []));
  return findings.finish(`3 outputs parse; ${rows} rows x ${columns}`);
}
