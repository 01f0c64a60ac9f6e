/**
 * Images handed in as bytes (serve's uploads) get a name from their content: uploads/<sha256 prefix>.<format>, so
 * the same picture twice is one row. What is not an image fails here, before anything is written.
 */
import {createHash} from 'node:crypto';
import {probeImage} from '../image/sharp-image.js';

export const UPLOAD_FOLDER = 'uploads';

export interface ImageBytes {
  /** The client's name, only for messages. */
  name: string;
  data: Uint8Array;
}

export interface NamedUpload {
  /** Relative to the images folder, '/'-separated. */
  file: string;
  data: Uint8Array;
}

export interface AppendReport {
  /** Rows the collection now holds for the uploads (new ones and those it had already). */
  added: {id: number; file: string}[];
  failed: {file: string; reason: string}[];
}

export async function nameUploads(
  files: ImageBytes[],
  known: ReadonlyMap<string, number>,
): Promise<{fresh: NamedUpload[]; existing: AppendReport['added']; failed: AppendReport['failed']}> {
  const fresh: NamedUpload[] = [];
  const existing: AppendReport['added'] = [];
  const failed: AppendReport['failed'] = [];
  for (const upload of files) {
    const probe = await probeImage(upload.data).catch((error: Error) => error);
    if (probe instanceof Error) {
      failed.push({file: upload.name, reason: probe.message});
      continue;
    }
    const sha256 = createHash('sha256').update(upload.data).digest('hex');
    const file = `${UPLOAD_FOLDER}/${sha256.slice(0, 24)}.${probe.format === 'jpeg' ? 'jpg' : probe.format}`;
    const id = known.get(file);
    if (id !== undefined) existing.push({id, file});
    else if (!fresh.some((item) => item.file === file)) fresh.push({file, data: upload.data});
  }
  return {fresh, existing, failed};
}
