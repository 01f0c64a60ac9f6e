/**
 * Image URLs as query terms: `https://host/photo.jpg` (an http(s) link whose path ends in an image extension) or
 * `url:ANY-HTTP-URL`. The parser only checks the form; fetching goes through the downloader's validation (address
 * checks, size and type limits), never straight from the query.
 */
import {UserError} from '../errors.js';

/** Extensions of the formats the decoder reads (sharp-image.ts's DECODABLE_FORMATS). */
export const IMAGE_URL_EXTENSIONS = [
  'jpg',
  'jpeg',
  'jpe',
  'png',
  'webp',
  'gif',
  'tif',
  'tiff',
  'avif',
  'heic',
  'heif',
];

const URL_HINT = 'write an image link as https://host/photo.jpg, or url:https://host/any-image-link';

export const looksLikeLink = (text: string) => /^https?:\/\//i.test(text);

export function hasImageExtension(url: URL): boolean {
  const extension = /\.([a-z0-9]+)$/i.exec(url.pathname)?.[1]?.toLowerCase();
  return extension !== undefined && IMAGE_URL_EXTENSIONS.includes(extension);
}

/** Validates an image URL term; `explicit` when it came with `url:` (any path is accepted then). */
export function parseImageUrl(text: string, explicit: boolean): string {
  if (text === '') throw new UserError('url: has no link after it', URL_HINT);
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new UserError(`'${text}' is not a valid link`, URL_HINT);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new UserError(`'${text}' is not an http or https link`, URL_HINT);
  if (url.username || url.password)
    throw new UserError(`'${text}' has a user name or password in it`, 'give a link without credentials');
  if (!explicit && !hasImageExtension(url))
    throw new UserError(
      `'${text}' is a link, but not to an image file (.${IMAGE_URL_EXTENSIONS.slice(0, 4).join(', .')}, ...)`,
      `to use it as an image write url:${text}; to search for the words, quote it`,
    );
  return url.href;
}
