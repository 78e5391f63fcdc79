/**
 * The node's uplink devices for the status line when none are configured: the devices of the default
 * routes (IPv4 and IPv6, multipath nexthops included), from `ip -j route`.
 */
import { execFile } from "node:child_process";
import { promisify } from "node:util";

const run = promisify(execFile);

interface RouteJson {
  dst?: string;
  dev?: string;
  nexthops?: Array<{ dev?: string }>;
}

/** Pure: devices of the default routes in `ip -j route` output, in order, without duplicates. */
export function defaultRouteDevicesFrom(stdout: string): string[] {
  const routes = JSON.parse(stdout || "[]") as RouteJson[];
  const devices: string[] = [];
  for (const route of routes) {
    if (route.dst !== "default") continue;
    for (const device of [route.dev, ...(route.nexthops ?? []).map((hop) => hop.dev)]) {
      if (device && !devices.includes(device)) devices.push(device);
    }
  }
  return devices;
}

export async function defaultRouteDevices(): Promise<string[]> {
  const devices: string[] = [];
  for (const family of ["-4", "-6"]) {
    try {
      const { stdout } = await run("ip", ["-j", family, "route", "show", "default"]);
      for (const device of defaultRouteDevicesFrom(stdout)) if (!devices.includes(device)) devices.push(device);
    } catch {
      // no routes of this family (or no ip): the status line shows what the other family has
    }
  }
  return devices;
}
