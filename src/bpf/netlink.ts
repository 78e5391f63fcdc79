/**
 * Typed tc and rtnetlink operations inside a network namespace (by path; null = the agent's own): clsact
 * and cls_bpf attachment, root qdiscs, links, addresses, routes, gso_max_size, and files read or written
 * from inside a namespace (its sysctls). Errors name the interface and the
 * namespace: "attach tc egress on eth0 in /var/run/netns/x: Operation not permitted".
 */
import { constants } from "node:os";
import { BpfError } from "./errors.js";
import {
  nativeBinding,
  unwrap,
  type NativeAddress,
  type NativeFilter,
  type NativeLink,
  type NativeQdisc,
  type NativeResult,
  type NativeRoute,
} from "./native-binding.js";

export type NetnsPath = string | null;
export type Qdisc = NativeQdisc;
export type TcFilter = NativeFilter;
export type Link = NativeLink;
export type Address = NativeAddress;
export type Route = NativeRoute;

export const TC_H_ROOT = 0xffffffff;
/** clsact's egress parent, TC_H_MAKE(TC_H_CLSACT, TC_H_MIN_EGRESS). */
export const TC_PARENT_CLSACT_EGRESS = 0xfffffff3;
export const TC_PARENT_CLSACT_INGRESS = 0xfffffff2;

const where = (netns: NetnsPath): string => (netns ? `in ${netns}` : "in the agent's namespace");

function checkInterfaceName(ifname: string): void {
  if (!/^[^\s/]{1,15}$/.test(ifname)) {
    throw new BpfError("INVALID_ARGUMENT", `interface name ${JSON.stringify(ifname)} is not a valid Linux name`);
  }
}

/** ENOENT or EINVAL: the tc object (or the clsact it hangs on) is not there; removal and query read "nothing". */
function isAbsent<T>(result: NativeResult<T>): result is Extract<NativeResult<T>, { ok: false }> {
  return !result.ok && (result.errno === constants.errno.ENOENT || result.errno === constants.errno.EINVAL);
}

export interface TcPoint {
  netns: NetnsPath;
  ifname: string;
  direction: "egress" | "ingress";
  handle: number;
  priority: number;
}

/** Ensures clsact exists; returns whether this call created it. */
export function ensureClsact(netns: NetnsPath, ifname: string): boolean {
  checkInterfaceName(ifname);
  return unwrap(nativeBinding().tcHookCreate(netns, ifname), where(netns)).created;
}

export function deleteClsact(netns: NetnsPath, ifname: string): void {
  checkInterfaceName(ifname);
  const result = nativeBinding().tcHookDestroy(netns, ifname);
  if (isAbsent(result)) return; // already gone
  unwrap(result, where(netns));
}

/** Attaches (replacing what is at handle/priority) and returns the kernel's program id. */
export function attachTc(point: TcPoint, programFd: number): number {
  checkInterfaceName(point.ifname);
  const result = nativeBinding().tcAttach(
    point.netns,
    point.ifname,
    point.direction === "egress",
    point.handle,
    point.priority,
    programFd,
    true,
  );
  return unwrap(result, where(point.netns)).programId;
}

/** Detaches; "nothing there" is success. */
export function detachTc(point: TcPoint): void {
  checkInterfaceName(point.ifname);
  const native = nativeBinding();
  const result = native.tcDetach(point.netns, point.ifname, point.direction === "egress", point.handle, point.priority);
  if (isAbsent(result)) return;
  unwrap(result, where(point.netns));
}

/** The program id attached at the point, or undefined when nothing is. */
export function queryTc(point: TcPoint): number | undefined {
  checkInterfaceName(point.ifname);
  const native = nativeBinding();
  const result = native.tcQuery(point.netns, point.ifname, point.direction === "egress", point.handle, point.priority);
  if (isAbsent(result)) {
    if (result.message.includes("find interface")) unwrap(result, where(point.netns));
    return undefined;
  }
  return unwrap(result, where(point.netns)).programId;
}

export function listTcFilters(netns: NetnsPath, ifname: string, direction: "egress" | "ingress"): TcFilter[] {
  checkInterfaceName(ifname);
  const parent = direction === "egress" ? TC_PARENT_CLSACT_EGRESS : TC_PARENT_CLSACT_INGRESS;
  return unwrap(nativeBinding().tcFilterList(netns, ifname, parent), where(netns));
}

export function listQdiscs(netns: NetnsPath, ifname: string): Qdisc[] {
  checkInterfaceName(ifname);
  return unwrap(nativeBinding().qdiscList(netns, ifname), where(netns));
}

/** The root qdisc (parent TC_H_ROOT), or undefined when the device has none listed. */
export function rootQdisc(netns: NetnsPath, ifname: string): Qdisc | undefined {
  return listQdiscs(netns, ifname).find((qdisc) => qdisc.parent === TC_H_ROOT);
}

export function replaceRootQdisc(
  netns: NetnsPath,
  ifname: string,
  kind: string,
  options: Buffer | null,
  handle = 0,
): void {
  checkInterfaceName(ifname);
  unwrap(nativeBinding().qdiscReplace(netns, ifname, kind, handle, TC_H_ROOT, options), where(netns));
}

/** Deletes the root qdisc, which puts back the device's default (noqueue/mq/pfifo_fast). */
export function deleteRootQdisc(netns: NetnsPath, ifname: string): void {
  checkInterfaceName(ifname);
  unwrap(nativeBinding().qdiscDelete(netns, ifname, 0, TC_H_ROOT), where(netns));
}

export function listLinks(netns: NetnsPath): Link[] {
  return unwrap(nativeBinding().linkList(netns));
}

export function listAddresses(netns: NetnsPath): Address[] {
  return unwrap(nativeBinding().addrList(netns));
}

/** Every IPv4 and IPv6 route of every table in the namespace. */
export function listRoutes(netns: NetnsPath): Route[] {
  return unwrap(nativeBinding().routeList(netns));
}

/** Writes `text` to a file opened from inside the namespace, e.g. one of its /proc/sys/net sysctls. */
export function writeFileInNetns(netns: NetnsPath, path: string, text: string): void {
  unwrap(nativeBinding().netnsWriteFile(netns, path, text));
}

/** Reads (at most 4 KiB of) a file opened from inside the namespace. */
export function readFileInNetns(netns: NetnsPath, path: string): string {
  return unwrap(nativeBinding().netnsReadFile(netns, path));
}

export function setGsoMaxSize(netns: NetnsPath, ifname: string, size: number): void {
  checkInterfaceName(ifname);
  if (!Number.isInteger(size) || size < 1 || size > 0x7fffffff) {
    throw new BpfError("INVALID_ARGUMENT", `gso_max_size ${size} out of range`);
  }
  unwrap(nativeBinding().linkSetGsoMaxSize(netns, ifname, size), where(netns));
}
