/**
 * DNS rebinding defence: a browser page on a name the attacker controls can be pointed at 127.0.0.1, but its
 * requests still carry that name in Host. Only names that mean this machine, and names the user allows, pass.
 * The port is not compared: ssh -L and docker -p forward a different port under the same name.
 */
import {isIP} from 'node:net';
import {hostname} from 'node:os';

export interface HostCheckOptions {
  /** The address `serve` binds to; a name is allowed, a wildcard (0.0.0.0, ::) also allows this machine's name. */
  bind?: string;
  /** Extra names: `photos.example` exactly, `.example` for it and every subdomain. */
  allowHosts?: readonly string[];
}

const WILDCARDS = new Set(['0.0.0.0', '::', '[::]', '']);

const HOST_HEADER = /^(?:\[([0-9a-f:.]+)\]|([a-z0-9_-]+(?:\.[a-z0-9_-]+)*\.?))(?::[0-9]{1,5})?$/i;

/** The lower-case host name in a Host header, or undefined when the header is not a plain host[:port]. */
export function hostName(header: string | undefined): string | undefined {
  const match = HOST_HEADER.exec(header ?? '');
  if (!match) return undefined;
  if (match[1] !== undefined) return isIP(match[1]) === 6 ? match[1].toLowerCase() : undefined;
  return normaliseHostName(match[2]!);
}

/** Whether `name` is fit for --allow-host: a DNS name, optionally with a leading dot, no port. */
export const isAllowableHostName = (name: string): boolean =>
  /^\.?[a-z0-9_-]+(\.[a-z0-9_-]+)*\.?$/i.test(name) && name.length <= 253;

export function normaliseHostName(name: string): string {
  return name.trim().toLowerCase().replace(/\.$/, '');
}

/** A predicate over Host headers. IP literals always pass: rebinding needs a name. */
export function hostCheck(options: HostCheckOptions): (header: string | undefined) => boolean {
  const exact = new Set(['localhost']);
  const suffixes = ['.localhost']; // browsers resolve *.localhost to loopback themselves
  const bind = normaliseHostName(options.bind ?? '');
  if (WILDCARDS.has(bind)) exact.add(normaliseHostName(hostname()));
  else if (!isIP(bind)) exact.add(bind);
  for (const raw of options.allowHosts ?? []) {
    const name = normaliseHostName(raw);
    if (name.startsWith('.')) {
      suffixes.push(name);
      exact.add(name.slice(1));
    } else exact.add(name);
  }
  return (header) => {
    const name = hostName(header);
    if (name === undefined) return false;
    return isIP(name) !== 0 || exact.has(name) || suffixes.some((suffix) => name.endsWith(suffix));
  };
}
