/**
 * The /etc/hosts, /etc/resolv.conf and /etc/hostname a container sees, made
 * the way Docker and BuildKit make them. Pure: the caller passes the host's
 * files in and bind-mounts the results, so they never land in a layer.
 */
import type { HostEntry, NetworkMode } from './run-spec.js';

export interface EtcFiles {
  hosts: string;
  resolvConf: string;
  hostname: string;
}

export interface HostEtc {
  /** The host's /etc/hosts, or undefined when it has none. */
  hosts?: string;
  /** The host's /etc/resolv.conf, or undefined when it has none. */
  resolvConf?: string;
}

/** Docker's fallback when no usable nameserver is left. */
const DEFAULT_NAMESERVERS = ['8.8.8.8', '8.8.4.4'];

export function makeEtcFiles(
  network: NetworkMode,
  hostname: string,
  extraHosts: HostEntry[],
  host: HostEtc,
): EtcFiles {
  const extra = extraHosts.map((e) => `${e.ip}\t${e.host}\n`).join('');
  const hosts =
    network === 'host' && host.hosts !== undefined
      ? ensureTrailingNewline(host.hosts) + extra
      : // BuildKit's generated file: the hostname resolves to loopback.
        `127.0.0.1\tlocalhost ${hostname}\n::1\tlocalhost ip6-localhost ip6-loopback\n` + extra;
  return { hosts, resolvConf: makeResolvConf(network, host.resolvConf), hostname: `${hostname}\n` };
}

/**
 * Docker copies the host's resolv.conf. In its own network namespace a
 * loopback nameserver (systemd-resolved's 127.0.0.53, dnsmasq…) is
 * unreachable, so `none` drops those, and falls back to public servers if
 * nothing is left. `default` and `host` share the host's network here, so the
 * host's file works as it is.
 */
function makeResolvConf(network: NetworkMode, hostResolvConf: string | undefined): string {
  if (hostResolvConf === undefined) return DEFAULT_NAMESERVERS.map((ip) => `nameserver ${ip}\n`).join('');
  if (network !== 'none') return ensureTrailingNewline(hostResolvConf);
  const lines = hostResolvConf.split('\n').filter((line) => !/^\s*nameserver\s+(127\.|::1\b)/.test(line));
  const kept = lines.join('\n');
  const hasNameserver = lines.some((line) => /^\s*nameserver\s/.test(line));
  return ensureTrailingNewline(kept) + (hasNameserver ? '' : DEFAULT_NAMESERVERS.map((ip) => `nameserver ${ip}\n`).join(''));
}

function ensureTrailingNewline(text: string): string {
  return text === '' || text.endsWith('\n') ? text : `${text}\n`;
}
