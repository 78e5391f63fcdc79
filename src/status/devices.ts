/**
 * The node's uplink devices for the status line when none are configured: the devices of the default
 * routes of the main table (IPv4 and IPv6, multipath nexthops included), read through the addon's
 * rtnetlink dump.
 */
import { listLinks, listRoutes, type Link, type Route } from "../bpf/index.js";

const MAIN_TABLE = 254;

/** Pure: names of the default routes' devices, in route order, without duplicates. */
export function defaultRouteDevicesFrom(routes: readonly Route[], links: readonly Link[]): string[] {
  const nameOf = new Map(links.map((link) => [link.ifindex, link.name]));
  const devices: string[] = [];
  for (const route of routes) {
    if (route.dstLength !== 0 || route.table !== MAIN_TABLE) continue;
    for (const ifindex of [route.oif, ...route.nexthopOifs]) {
      const name = ifindex === null ? undefined : nameOf.get(ifindex);
      if (name !== undefined && !devices.includes(name)) devices.push(name);
    }
  }
  return devices;
}

/** The agent's namespace's default-route devices; [] when it cannot tell (the status line shows none). */
export async function defaultRouteDevices(): Promise<string[]> {
  try {
    return defaultRouteDevicesFrom(listRoutes(null), listLinks(null));
  } catch {
    return [];
  }
}
