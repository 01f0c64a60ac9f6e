/**
 * Unsplash through its official API (Unsplash Source, which the original tool used, is shut down). Random photos
 * come 30 per API call; each kept photo is reported to its download_location, as the API guidelines ask.
 */
import {setTimeout as delay} from 'node:timers/promises';
import {UserError} from '../errors.js';
import {HttpError} from '../net/http.js';
import type {Candidate, SourceContext} from './candidate.js';

/** The part of the provider settings the Unsplash API needs. */
export interface UnsplashSettings {
  width: number;
  height: number;
  unsplashApiUrl: string;
  unsplashAccessKey?: string;
}

const PAGE_SIZE = 30;
const MAX_API_BYTES = 4 * 1024 * 1024;
/** Consecutive failed API calls before the source gives up (the run then ends as 'exhausted'). */
const MAX_API_FAILURES = 4;

interface UnsplashPhoto {
  urls?: {raw?: string};
  links?: {download_location?: string};
}

export async function* fetchUnsplashPages(
  settings: UnsplashSettings,
  {client, signal}: SourceContext,
): AsyncGenerator<Candidate> {
  const base = settings.unsplashApiUrl.replace(/\/+$/, '');
  const headers = {authorization: `Client-ID ${settings.unsplashAccessKey}`, 'accept-version': 'v1'};
  let failures = 0;
  while (!signal.aborted) {
    let photos: UnsplashPhoto[];
    try {
      photos = await fetchPage(`${base}/photos/random?count=${PAGE_SIZE}`, headers, client, signal);
      failures = 0;
    } catch (error) {
      if (error instanceof UserError || signal.aborted) throw error;
      failures++;
      if (failures >= MAX_API_FAILURES) throw error;
      await delay(1000 * 2 ** failures, undefined, {signal}).catch(() => undefined);
      continue;
    }
    if (photos.length === 0) return;
    for (const photo of photos) {
      const raw = photo.urls?.raw;
      if (!raw || !URL.canParse(raw)) continue;
      const url = new URL(raw);
      url.searchParams.set('w', String(settings.width));
      url.searchParams.set('h', String(settings.height));
      url.searchParams.set('fit', 'crop');
      url.searchParams.set('fm', 'jpg');
      const tracking = photo.links?.download_location;
      yield {
        url: url.toString(),
        onKept: tracking
          ? async () => {
              const response = await client.request(tracking, {headers, signal});
              await response.discard();
            }
          : undefined,
      };
    }
  }
}

async function fetchPage(
  url: string,
  headers: Record<string, string>,
  client: SourceContext['client'],
  signal: AbortSignal,
): Promise<UnsplashPhoto[]> {
  const response = await client.request(url, {headers, signal});
  if (response.status === 401) {
    await response.discard();
    throw new UserError('Unsplash rejected the access key (401)', 'check UNSPLASH_ACCESS_KEY');
  }
  if (response.status !== 200) {
    await response.discard();
    throw new HttpError(`Unsplash API answered ${response.status}`, 'other');
  }
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of response.body) {
    size += chunk.length;
    if (size > MAX_API_BYTES) throw new HttpError('Unsplash API answer too large', 'other');
    chunks.push(chunk);
  }
  const parsed: unknown = JSON.parse(Buffer.concat(chunks).toString('utf8'));
  return Array.isArray(parsed) ? (parsed as UnsplashPhoto[]) : [parsed as UnsplashPhoto];
}
