/**
 * In-memory Datapath: same contract as the EDT datapath, no kernel. Used by reconciler tests and the agent
 * benchmark, and held to the same conformance suite as the real one. "Kernel state" lives in a FakeKernel
 * that outlives a FakeDatapath, so an agent restart (new datapath, same kernel) can be simulated.
 */
import {
  DatapathError,
  type AppliedLimit,
  type Datapath,
  type Direction,
  type EnsureResult,
  type LimitSpec,
  type RepairedPiece,
} from "../datapath.js";

interface FakeEntry {
  spec: LimitSpec;
  identity: number;
  qdiscInstalled: boolean;
  programAttached: boolean;
}

/** Stands in for what the kernel would keep across agent restarts (pinned maps, qdiscs, filters). */
export class FakeKernel {
  readonly entries = new Map<string, FakeEntry>();
  /** Namespaces that exist; undefined means every path exists. */
  existingNetns: Set<string> | undefined;
  /** Count of kernel operations, for tests that assert idempotence costs nothing. */
  writes = 0;

  /** Simulates someone inside the Pod removing what the datapath installed. */
  tamper(podKey: string, direction: Direction, piece: RepairedPiece): void {
    const entry = this.entries.get(entryKey(podKey, direction));
    if (!entry) throw new Error(`fake kernel: no entry for ${podKey} ${direction}`);
    if (piece === "qdisc") entry.qdiscInstalled = false;
    else entry.programAttached = false;
  }
}

const entryKey = (podKey: string, direction: Direction): string => `${podKey}\u0000${direction}`;

export class FakeDatapath implements Datapath {
  readonly kind = "fake";
  private closed = false;

  constructor(readonly kernel: FakeKernel = new FakeKernel()) {}

  async ensureLimit(spec: LimitSpec): Promise<EnsureResult> {
    this.assertOpen();
    validateSpec(spec);
    const { existingNetns } = this.kernel;
    if (existingNetns && !existingNetns.has(spec.attachment.netnsPath)) {
      throw new DatapathError("NOT_FOUND", `open network namespace ${spec.attachment.netnsPath}: no such file`);
    }
    const key = entryKey(spec.attachment.podKey, spec.direction);
    const existing = this.kernel.entries.get(key);
    if (!existing) {
      this.kernel.writes++;
      const identity = this.allocateIdentity();
      this.kernel.entries.set(key, { spec, identity, qdiscInstalled: true, programAttached: true });
      return { identity, repaired: [] };
    }
    const repaired: RepairedPiece[] = [];
    if (!existing.qdiscInstalled) repaired.push("qdisc");
    if (!existing.programAttached) repaired.push("program");
    if (repaired.length > 0 || existing.spec.bitsPerSecond !== spec.bitsPerSecond) this.kernel.writes++;
    existing.qdiscInstalled = true;
    existing.programAttached = true;
    existing.spec = spec;
    return { identity: existing.identity, repaired };
  }

  async removeLimit(podKey: string, direction: Direction): Promise<void> {
    this.assertOpen();
    if (this.kernel.entries.delete(entryKey(podKey, direction))) this.kernel.writes++;
  }

  async listLimits(): Promise<AppliedLimit[]> {
    this.assertOpen();
    return [...this.kernel.entries.values()].map(({ spec, identity }) => ({
      podKey: spec.attachment.podKey,
      direction: spec.direction,
      identity,
      bitsPerSecond: spec.bitsPerSecond,
      netnsPath: spec.attachment.netnsPath,
      interfaceName:
        spec.direction === "egress" ? spec.attachment.podInterface : (spec.attachment.hostInterface ?? ""),
      counters: { packets: 0, bytes: 0, delayedPackets: 0, horizonDrops: 0, ecnMarks: 0, bypassedPackets: 0 },
    }));
  }

  async close(): Promise<void> {
    this.closed = true;
  }

  private allocateIdentity(): number {
    const used = new Set([...this.kernel.entries.values()].map((e) => e.identity));
    let identity = 1;
    while (used.has(identity)) identity++;
    return identity;
  }

  private assertOpen(): void {
    if (this.closed) throw new Error("fake datapath: used after close()");
  }
}

/** The argument checks both datapaths make, so both reject the same inputs. */
export function validateSpec(spec: LimitSpec): void {
  const { bitsPerSecond, direction, attachment } = spec;
  if (!Number.isSafeInteger(bitsPerSecond) || bitsPerSecond < 1_000 || bitsPerSecond > 1e15) {
    throw new DatapathError(
      "INVALID_ARGUMENT",
      `limit ${bitsPerSecond} bit/s is outside 1k..1P: pass an integer number of bits per second`,
    );
  }
  if (direction !== "egress" && direction !== "ingress") {
    throw new DatapathError("INVALID_ARGUMENT", `direction ${String(direction)} is not egress or ingress`);
  }
  if (direction === "ingress" && !attachment.hostInterface) {
    throw new DatapathError(
      "INVALID_ARGUMENT",
      `ingress limit for ${attachment.podKey} needs the Pod's host-side interface, which was not found`,
    );
  }
}
