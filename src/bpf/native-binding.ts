/**
 * The raw shape of the native addon (native/ → native/build/Release/pacer_native.node) and its loader.
 * Every native function returns `{ ok: true, value }` or `{ ok: false, errno, message }`; the typed layer
 * (bpf.ts, netlink.ts) turns failures into BpfError.
 */
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { BpfError } from "./errors.js";

export type NativeResult<T> = { ok: true; value: T } | { ok: false; errno: number; message: string };

export interface NativeObjectHandle {
  readonly __nativeObject: unique symbol;
}

export interface NativeTestRunResult {
  retval: number;
  durationNs: number;
  tstamp: bigint;
  wireLen: number;
  data: Buffer;
}

export interface NativeQdisc {
  kind: string;
  handle: number;
  parent: number;
  options: Buffer | null;
  fqStats: NativeFqStats | null;
  /** What the qdisc sent (TCA_STATS_BASIC): qdisc_pkt_len, per segment on the wire. */
  sentBytes: bigint;
  sentPackets: number;
  drops: number;
}

export interface NativeFqStats {
  throttled: bigint;
  flowsPlimit: bigint;
  horizonDrops: bigint;
  horizonCaps: bigint;
  ceMark: bigint;
  flows: number;
  throttledFlows: number;
}

export interface NativeFilter {
  kind: string;
  handle: number;
  priority: number;
  protocol: number;
  programId: number;
}

export interface NativeLink {
  ifindex: number;
  name: string;
  up: boolean;
  mtu: number;
  gsoMaxSize: number;
  link: number | null;
  linkNetnsid: number | null;
  kind: string;
}

export interface NativeAddress {
  ifindex: number;
  family: 4 | 6;
  address: string;
  prefixLength: number;
}

export interface NativeRoute {
  family: 4 | 6;
  dstLength: number;
  table: number;
  /** RTA_OIF; null for a multipath route (its hops are in nexthopOifs) or a route without a device. */
  oif: number | null;
  nexthopOifs: number[];
}

/** `netns` is a path to a network namespace, or null for the agent's own. */
type Netns = string | null;

export interface NativeBinding {
  objectOpen(path: string, pinRoot: string): NativeResult<NativeObjectHandle>;
  objectSetRodata(handle: NativeObjectHandle, name: string, bytes: Buffer): NativeResult<undefined>;
  objectLoad(handle: NativeObjectHandle): NativeResult<undefined>;
  objectProgramFd(handle: NativeObjectHandle, name: string): NativeResult<number>;
  objectMapFd(handle: NativeObjectHandle, name: string): NativeResult<number>;
  objectClose(handle: NativeObjectHandle): NativeResult<undefined>;
  probeHelper(programType: number, helperId: number): NativeResult<boolean>;
  progTestRun(
    fd: number,
    data: Buffer,
    context: { tstamp?: bigint; wireLen?: number; ifindex?: number; repeat?: number },
  ): NativeResult<NativeTestRunResult>;
  objGet(path: string): NativeResult<number>;
  closeFd(fd: number): NativeResult<undefined>;
  mapInfo(fd: number): NativeResult<{
    id: number;
    type: number;
    keySize: number;
    valueSize: number;
    maxEntries: number;
    name: string;
  }>;
  mapLookup(fd: number, key: Buffer, valueSize: number): NativeResult<Buffer>;
  mapUpdate(fd: number, key: Buffer, value: Buffer, flags: number): NativeResult<undefined>;
  mapDelete(fd: number, key: Buffer): NativeResult<undefined>;
  mapNextKey(fd: number, key: Buffer | null, keySize: number): NativeResult<Buffer | null>;
  possibleCpus(): NativeResult<number>;
  tcHookCreate(netns: Netns, ifname: string): NativeResult<{ created: boolean }>;
  tcHookDestroy(netns: Netns, ifname: string): NativeResult<undefined>;
  tcAttach(
    netns: Netns,
    ifname: string,
    egress: boolean,
    handle: number,
    priority: number,
    programFd: number,
    replace: boolean,
  ): NativeResult<{ programId: number }>;
  tcDetach(netns: Netns, ifname: string, egress: boolean, handle: number, priority: number): NativeResult<undefined>;
  tcQuery(
    netns: Netns,
    ifname: string,
    egress: boolean,
    handle: number,
    priority: number,
  ): NativeResult<{ programId: number }>;
  tcFilterList(netns: Netns, ifname: string, parent: number): NativeResult<NativeFilter[]>;
  qdiscList(netns: Netns, ifname: string): NativeResult<NativeQdisc[]>;
  qdiscReplace(
    netns: Netns,
    ifname: string,
    kind: string,
    handle: number,
    parent: number,
    options: Buffer | null,
  ): NativeResult<undefined>;
  qdiscDelete(netns: Netns, ifname: string, handle: number, parent: number): NativeResult<undefined>;
  linkList(netns: Netns): NativeResult<NativeLink[]>;
  addrList(netns: Netns): NativeResult<NativeAddress[]>;
  linkSetGsoMaxSize(netns: Netns, ifname: string, size: number): NativeResult<undefined>;
  routeList(netns: Netns): NativeResult<NativeRoute[]>;
  netnsWriteFile(netns: Netns, path: string, text: string): NativeResult<undefined>;
  netnsReadFile(netns: Netns, path: string): NativeResult<string>;
  statfsType(path: string): NativeResult<number>;
  mountBpffs(path: string): NativeResult<undefined>;
  unmount(path: string): NativeResult<undefined>;
}

/** The repository root, from dist/src/bpf/ or src/bpf/. */
export const repositoryRoot = resolve(dirname(fileURLToPath(import.meta.url)), "../..").replace(
  /\/dist$/,
  "",
);
export const defaultAddonPath = join(repositoryRoot, "native/build/Release/pacer_native.node");

let loaded: NativeBinding | undefined;

/** The addon, loaded once. Throws BpfError("NATIVE_MISSING") with the build command when it is not built. */
export function nativeBinding(): NativeBinding {
  if (loaded) return loaded;
  if (!existsSync(defaultAddonPath)) {
    throw new BpfError(
      "NATIVE_MISSING",
      `load native addon: ${defaultAddonPath} is missing (build it: bash scripts/build.sh, needs libbpf-dev)`,
    );
  }
  const require = createRequire(import.meta.url);
  loaded = require(defaultAddonPath) as NativeBinding;
  return loaded;
}

/** Unwraps a native result or throws BpfError with the native message and errno. */
export function unwrap<T>(result: NativeResult<T>, context?: string): T {
  if (result.ok) return result.value;
  throw BpfError.fromErrno(result.errno, context ? `${context}: ${result.message}` : result.message);
}
