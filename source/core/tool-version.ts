/** The tool's own version, for metadata and reports; apart from metadata.ts so readers need not load sharp. */
import {readFileSync} from 'node:fs';

let toolVersionCache: string | undefined;

/** package.json's version (found relative to this file, from source/ under tsx or dist/source when built). */
export function toolVersion(): string {
  if (toolVersionCache) return toolVersionCache;
  for (const candidate of ['../../package.json', '../../../package.json']) {
    try {
      const parsed = JSON.parse(readFileSync(new URL(candidate, import.meta.url), 'utf8')) as {
        name?: string;
        version?: string;
      };
      if (parsed.name === 'visual-cortex' && parsed.version) {
        toolVersionCache = parsed.version;
        return parsed.version;
      }
    } catch {
      // try the next layout
    }
  }
  return 'unknown';
}
