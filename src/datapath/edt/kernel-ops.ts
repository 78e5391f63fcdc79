/**
 * The kernel pieces of one limit, each idempotent: fq as the root qdisc (remembering what it replaced),
 * the EDT program on tc egress, and putting things back on removal. Errors come out as DatapathError.
 */
import {
  attachTc,
  BpfError,
  decodeFqOptions,
  deleteClsact,
  deleteRootQdisc,
  detachTc,
  encodeFqOptions,
  ensureClsact,
  listTcFilters,
  loadEdtInstance,
  queryTc,
  replaceRootQdisc,
  rootQdisc,
  type EdtDirectionIndex,
  type FqOptions,
  type Qdisc,
  type TcPoint,
} from "../../bpf/index.js";
import { DatapathError } from "../datapath.js";
import type { LimitRecord, ReplacedQdisc } from "./limit-records.js";

/** cls_bpf handle/priority of pacer's filter on clsact egress (distinct from Cilium's 1/1). */
export const PACER_TC_HANDLE = 0x7061;
export const PACER_TC_PRIORITY = 0x7061;

export function tcPointOf(record: Pick<LimitRecord, "netnsPath" | "interfaceName">): TcPoint {
  return {
    netns: record.netnsPath,
    ifname: record.interfaceName,
    direction: "egress",
    handle: PACER_TC_HANDLE,
    priority: PACER_TC_PRIORITY,
  };
}

/** Runs a kernel step, turning BpfError into DatapathError with the step named first. */
export function step<T>(what: string, work: () => T): T {
  try {
    return work();
  } catch (error) {
    if (!(error instanceof BpfError)) throw error;
    const code =
      error.code === "NOT_FOUND" ? "NOT_FOUND" : error.code === "INVALID_ARGUMENT" ? "INVALID_ARGUMENT" : "KERNEL_REFUSED";
    throw new DatapathError(code, `${what}: ${error.message}`, { cause: error });
  }
}

/** The root qdisc (undefined when none is listed); NOT_FOUND for a missing namespace or interface. */
export function readRootQdisc(netns: string | null, ifname: string): Qdisc | undefined {
  return step(`read root qdisc of ${ifname}`, () => rootQdisc(netns, ifname));
}

/** A root qdisc as a replacement record (null = the device's default, handle 0). */
export function replacementOf(root: Qdisc | undefined): ReplacedQdisc | null {
  if (!root || root.handle === 0) return null;
  return { kind: root.kind, handle: root.handle, optionsHex: root.options ? root.options.toString("hex") : null };
}

/** The options of an installed fq (what decodeFqOptions reads back); {} for another qdisc. */
export function fqOptionsOf(root: Qdisc): FqOptions {
  return root.kind === "fq" && root.options ? decodeFqOptions(root.options) : {};
}

export function rootIsFq(netns: string | null, ifname: string): boolean {
  return readRootQdisc(netns, ifname)?.kind === "fq";
}

export function installFq(netns: string | null, ifname: string, options: FqOptions): void {
  try {
    replaceRootQdisc(netns, ifname, "fq", encodeFqOptions(options));
  } catch (error) {
    if (error instanceof BpfError && error.code === "NOT_FOUND") {
      // The interface was found a moment ago: ENOENT here is "Specified qdisc kind is unknown".
      throw new DatapathError(
        "KERNEL_REFUSED",
        `install fq on ${ifname}: the kernel has no fq qdisc (${error.message}); ` +
          "load it (modprobe sch_fq) or use a kernel with CONFIG_NET_SCH_FQ",
        { cause: error },
      );
    }
    step(`install fq on ${ifname}`, () => {
      throw error;
    });
  }
}

/** Puts back what fq replaced, if fq is still the root (someone else's later change is left alone). */
export function restoreQdisc(record: LimitRecord): void {
  const { netnsPath: netns, interfaceName: ifname } = record;
  if (!rootIsFq(netns, ifname)) return;
  const replaced = record.replacedQdisc;
  step(`restore root qdisc of ${ifname}`, () => {
    if (replaced === null) deleteRootQdisc(netns, ifname);
    else {
      const options = replaced.optionsHex === null ? null : Buffer.from(replaced.optionsHex, "hex");
      replaceRootQdisc(netns, ifname, replaced.kind, options, replaced.handle);
    }
  });
}

/** Loads a program instance for the record and attaches it (replacing whatever is at pacer's slot). */
export function attachProgram(
  record: LimitRecord,
  load: { pinRoot: string; objectPath?: string; direction: EdtDirectionIndex },
): { programId: number; createdClsact: boolean } {
  const where = `${record.interfaceName}${record.netnsPath ? ` in ${record.netnsPath}` : ""}`;
  const createdClsact = step(`create clsact on ${where}`, () => ensureClsact(record.netnsPath, record.interfaceName));
  const instance = step(`load EDT program for identity ${record.identity}`, () =>
    loadEdtInstance({
      pinRoot: load.pinRoot,
      identity: record.identity,
      direction: load.direction,
      ...(load.objectPath ? { objectPath: load.objectPath } : {}),
    }),
  );
  try {
    // tc holds its own reference to the program: the object (and its fds) can close right away.
    const programId = step(`attach tc egress on ${where}`, () => attachTc(tcPointOf(record), instance.programFd));
    return { programId, createdClsact };
  } finally {
    instance.object.close();
  }
}

/** Whether pacer's program (by kernel id) is still attached where the record says. */
export function programAttached(record: LimitRecord): boolean {
  const attached = step(`query tc egress on ${record.interfaceName}`, () => queryTc(tcPointOf(record)));
  return attached !== undefined && attached === record.programId;
}

/** Detaches pacer's filter and removes clsact if pacer created it and nothing else uses it. */
export function detachProgram(record: LimitRecord): void {
  const { netnsPath: netns, interfaceName: ifname } = record;
  step(`detach tc egress on ${ifname}`, () => detachTc(tcPointOf(record)));
  if (!record.createdClsact) return;
  const others = step(`list tc filters on ${ifname}`, () => [
    ...listTcFilters(netns, ifname, "egress"),
    ...listTcFilters(netns, ifname, "ingress"),
  ]);
  if (others.length === 0) step(`delete clsact on ${ifname}`, () => deleteClsact(netns, ifname));
}
