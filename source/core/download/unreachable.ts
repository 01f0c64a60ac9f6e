/**
 * A run that cannot reach its provider stops early instead of printing the same failure for every image: when
 * its first attempts all fail to connect to the same host in the same way (the name does not resolve, the port
 * refuses, the connection times out) and nothing has been downloaded, more attempts would only say it again.
 * Images are counted, not attempts, so one image's retries alone never stop a run.
 */
import type {ProviderName} from './types.js';

/** Images whose attempts, from the run's first, all failed to connect the same way: this many stop the run. */
export const UNREACHABLE_AFTER = 5;

export class UnreachableWatch {
  /** The images seen failing so far (a handful: the watch disarms or the run stops long before it grows). */
  private readonly items = new Set<object>();
  private attempts = 0;
  private first: {host: string; message: string} | null = null;
  private disarmed = false;

  /** An attempt that got an answer, or failed another way: the host is reachable, or the trouble is elsewhere. */
  reached(): void {
    this.disarmed = true;
    this.items.clear();
  }

  /** An attempt at `item` (one image) that could not connect; true once the run should stop. */
  connectFailed(item: object, url: string, message: string): boolean {
    if (this.disarmed) return false;
    const host = hostOf(url);
    this.first ??= {host, message};
    if (this.first.host !== host || this.first.message !== message) {
      this.reached();
      return false;
    }
    this.attempts++;
    this.items.add(item);
    return this.items.size >= UNREACHABLE_AFTER;
  }

  /** Why the run stopped, for the report's sourceError. */
  describe(): string {
    return `cannot reach ${this.first?.host}: ${this.first?.message} (all ${this.attempts} attempts at the first ${this.items.size} images failed this way; nothing was downloaded)`;
  }
}

function hostOf(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return url;
  }
}

/** The ways out of a provider that cannot be reached, for a UserError's hint or a summary line. */
export function unreachableHint(provider: ProviderName): string {
  const mirror: Partial<Record<ProviderName, string>> = {
    picsum: 'set VISUAL_CORTEX_PICSUM_URL to a reachable mirror',
    unsplash: 'set VISUAL_CORTEX_UNSPLASH_API_URL to a reachable mirror',
    custom: 'check the host in --url',
    urls: 'check the hosts in the --urls file',
  };
  const others = [
    'use images you have with --provider local --from DIR',
    ...(provider === 'urls' ? [] : ['a list of URLs with --provider urls --urls FILE']),
  ];
  return `check the network or the proxy, or ${mirror[provider] ?? 'use another provider'}; or ${others.join(', or ')}`;
}
