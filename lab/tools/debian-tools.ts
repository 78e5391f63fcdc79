/**
 * Tools the laboratory fetches from other Debian suites with scripts/debian-fetch.sh (never installed on
 * the host): where their binaries are once scripts/setup.sh has run, and what to run when they are not.
 */
import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";

export const PACER_CACHE = process.env.PACER_CACHE || "/var/cache/pacer";

/** The unpacked package directory of `pkg` from `suite/component` (the newest version present), or null. */
export function unpackedPackage(suite: string, component: string, pkg: string): string | null {
  const directory = join(PACER_CACHE, "debian", suite, component);
  if (!existsSync(directory)) return null;
  const candidates = readdirSync(directory).filter((name) => name.startsWith(`${pkg}_`) && existsSync(join(directory, name, ".unpacked")));
  const newest = candidates.sort().at(-1);
  return newest === undefined ? null : join(directory, newest);
}

/** netperf and netserver 2.7 from bookworm's non-free component (the seed article's tool). */
export function netperfBinaries(): { netperf: string; netserver: string } | null {
  const root = unpackedPackage("bookworm", "non-free", "netperf");
  return root === null ? null : { netperf: join(root, "usr/bin/netperf"), netserver: join(root, "usr/bin/netserver") };
}

/** null when netperf is fetched, else what to run (for requirePrerequisites). */
export const netperfMissing = (): string | null =>
  netperfBinaries() === null ? "netperf (bookworm non-free: run scripts/setup.sh, which fetches it with scripts/debian-fetch.sh)" : null;
