/** What a provider hands the workers (a URL to fetch, or a local file), and what a provider may use to find them. */
import type {HttpClient} from '../net/http.js';

export interface Candidate {
  url: string;
  /** local provider: read this file instead of fetching url. */
  localPath?: string;
  /** Called once the image is kept (Unsplash asks apps to report downloads). */
  onKept?: () => Promise<void>;
}

export interface SourceContext {
  client: HttpClient;
  signal: AbortSignal;
  /** URLs already kept (from the index). */
  knownUrls: ReadonlySet<string>;
}
