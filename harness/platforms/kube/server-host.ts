/**
 * Where an API server is, judged from its URL alone: no DNS lookup and no packet, so a guard
 * that refuses a server has told nobody about it. "On this machine" means a loopback address,
 * `localhost`, or an address inside the subnet of one of this machine's container bridges (a
 * kind node container on a docker bridge). A LAN interface does not count: the hosts on its
 * subnet are other machines. A hostname is never resolved: it is not local.
 */
import { BlockList, isIP } from 'node:net';
import { type NetworkInterfaceInfo, networkInterfaces } from 'node:os';

export type Interfaces = NodeJS.Dict<NetworkInterfaceInfo[]>;

/** The host of a server URL, lower case, IPv6 without brackets; undefined when it is no URL. */
export function serverHost(server: string): string | undefined {
  try {
    const host = new URL(server).hostname.toLowerCase();
    return host.startsWith('[') ? host.slice(1, -1) : host;
  } catch {
    return undefined;
  }
}

/** Bridges that container engines and local clusters create: their subnets exist only here. */
const CONTAINER_BRIDGE = /^(docker\d*|br-[0-9a-z-]+|cni\d*|podman\d*|virbr\d*|fdr\d*|kind\w*)$/;

function localNetworks(interfaces: Interfaces): BlockList {
  const list = new BlockList();
  list.addSubnet('127.0.0.0', 8, 'ipv4');
  list.addAddress('::1', 'ipv6');
  for (const [name, addrs] of Object.entries(interfaces)) {
    if (!CONTAINER_BRIDGE.test(name)) continue;
    for (const a of addrs ?? []) {
      const prefix = Number(a.cidr?.split('/')[1]);
      const type = a.family === 'IPv4' ? 'ipv4' : 'ipv6';
      // A scoped (link-local) IPv6 address carries `%if`; the subnet check wants it bare.
      const address = a.address.split('%')[0]!;
      if (Number.isInteger(prefix)) list.addSubnet(address, prefix, type);
      else list.addAddress(address, type);
    }
  }
  return list;
}

/**
 * Whether the server's host is this machine or a network only this machine's interfaces reach.
 * `interfaces` is injectable for tests; default os.networkInterfaces().
 */
export function serverIsLocal(server: string, interfaces: Interfaces = networkInterfaces()): boolean {
  const host = serverHost(server);
  if (host === undefined) return false;
  if (host === 'localhost') return true;
  const family = isIP(host);
  if (family === 0) return false; // a name: resolving it would be traffic, and DNS can lie
  return localNetworks(interfaces).check(host, family === 4 ? 'ipv4' : 'ipv6');
}

const normalUrl = (u: string): string | undefined => {
  try {
    const url = new URL(u);
    return `${url.protocol}//${url.host}${url.pathname.replace(/\/+$/, '')}`;
  } catch {
    return undefined;
  }
};

/** Whether `--allow-server` names this server: the same URL, or its host (with or without the port). */
export function serverAllowed(server: string, allowed: readonly string[]): boolean {
  const url = normalUrl(server);
  if (url === undefined) return false;
  const { host } = new URL(server);
  const hostname = serverHost(server);
  return allowed.some((a) => {
    const entry = a.trim().toLowerCase();
    if (entry.includes('://')) return normalUrl(entry) === url;
    return entry === hostname || entry === host;
  });
}
