/**
 * The real Datapath (docs/design.md, "Where the datapath sits"): per limited Pod and direction, fq as the root qdisc and one
 * instance of the EDT program on tc egress — of the Pod's interface inside its namespace (egress) or of the
 * host-side veth (ingress) — sharing one pinned state map. Adopts pinned state and the state file on open,
 * never detaching or resetting anything at start, so a limited Pod never runs unlimited across a restart.
 */
import { existsSync, mkdirSync } from "node:fs";
import {
  BpfError,
  EDT_DIRECTION_EGRESS,
  EDT_DIRECTION_INGRESS,
  EDT_FLOW_ISOLATION,
  EDT_MAPS,
  EDT_MAX_IDENTITY,
  emptyPodConfig,
  isBpffs,
  listLinks,
  loadEdtInstance,
  setGsoMaxSize,
  mountBpffs,
  openEdtMaps,
  pinnedMapPath,
  type EdtDirectionIndex,
  type EdtMaps,
  type FqOptions,
  type PodConfig,
} from "../../bpf/index.js";
import {
  DatapathError,
  type AppliedLimit,
  type Datapath,
  type Direction,
  type EnsureResult,
  type LimitSpec,
  type RepairedPiece,
} from "../datapath.js";
import {
  attachProgram,
  detachProgram,
  fqOptionsOf,
  installFq,
  programAttached,
  readRootQdisc,
  replacementOf,
  restoreQdisc,
  step,
} from "./kernel-ops.js";
import { cappedGsoMaxSize } from "./gso-cap.js";
import { flowIsolationCredits, fqLimitsFor } from "./pacing-parameters.js";
import { allocateIdentity, LimitRecords, type LimitRecord } from "./limit-records.js";

export interface EdtDatapathOptions {
  /** A bpffs directory for pacer's pins (mounted here when it is not a bpffs yet, as Cilium does). */
  bpffsDir: string;
  /** Where the state file lives (replaced qdiscs, identities). */
  stateDir: string;
  /** Packets further than this in the future are dropped; default 2 s (Cilium's fq horizon). */
  horizonNs?: bigint | number;
  /** Ingress only: CE-mark ECT packets departing further than this in the future; default 10 ms. */
  ingressEcnThresholdNs?: bigint | number;
  objectPath?: string;
  /** fq's bucket count; its packet limits follow the rate (pacing-parameters.ts) and the horizon is ours. */
  fq?: Pick<FqOptions, "bucketsLog">;
  /**
   * Flow isolation inside each Pod's limit (docs/design.md, "Flow isolation"): a flow with nothing pending
   * leaves at once. Default true; false keeps the single departure timeline of earlier pacer versions.
   */
  flowIsolation?: boolean;
  /**
   * Egress: cap the Pod interface's gso_max_size to ~1 ms of the limit while limited (gso-cap.ts), restored on
   * removal. Takes effect for connections opened after the limit. Default true.
   */
  capEgressGso?: boolean;
}

const DEFAULT_HORIZON_NS = 2_000_000_000n;
const DEFAULT_INGRESS_ECN_THRESHOLD_NS = 10_000_000n;
const directionIndex = (direction: Direction): EdtDirectionIndex =>
  direction === "egress" ? EDT_DIRECTION_EGRESS : EDT_DIRECTION_INGRESS;

function validate(spec: LimitSpec): void {
  const { bitsPerSecond, attachment, direction } = spec;
  if (!Number.isSafeInteger(bitsPerSecond) || bitsPerSecond < 1e3 || bitsPerSecond > 1e15) {
    throw new DatapathError("INVALID_ARGUMENT", `limit ${bitsPerSecond} bit/s: must be an integer in 1k..1P`);
  }
  if (direction !== "egress" && direction !== "ingress") {
    throw new DatapathError("INVALID_ARGUMENT", `direction ${String(direction)}: must be egress or ingress`);
  }
  if (!attachment.podKey) throw new DatapathError("INVALID_ARGUMENT", "podKey is empty");
}

function ensureBpffs(bpffsDir: string): void {
  mkdirSync(bpffsDir, { recursive: true, mode: 0o700 });
  if (isBpffs(bpffsDir)) return;
  step(`mount bpffs at ${bpffsDir} (or mount it yourself: mount -t bpf bpf ${bpffsDir})`, () =>
    mountBpffs(bpffsDir),
  );
}

export async function openEdtDatapath(options: EdtDatapathOptions): Promise<Datapath> {
  ensureBpffs(options.bpffsDir);
  const records = new LimitRecords(options.stateDir);
  const missing = Object.values(EDT_MAPS).some((name) => !existsSync(pinnedMapPath(options.bpffsDir, name)));
  if (missing) {
    // Identity 0 belongs to no Pod: loading it only creates and pins the shared maps (reusing any pinned).
    const creator = step("create the EDT maps", () =>
      loadEdtInstance({
        pinRoot: options.bpffsDir,
        identity: 0,
        direction: EDT_DIRECTION_EGRESS,
        ...(options.objectPath ? { objectPath: options.objectPath } : {}),
      }),
    );
    creator.object.close();
  }
  const maps = step(`open the pinned maps under ${options.bpffsDir}`, () => {
    try {
      return openEdtMaps(options.bpffsDir);
    } catch (error) {
      throw error instanceof BpfError && error.code === "INVALID_ARGUMENT" ? new BpfError("KERNEL_REFUSED", error.message) : error;
    }
  });
  const datapath = new EdtDatapath(options, records, maps);
  datapath.adoptSettings();
  return datapath;
}

class EdtDatapath implements Datapath {
  readonly kind = "edt";
  private readonly horizonNs: bigint;
  private readonly ingressEcnThresholdNs: bigint;

  constructor(
    private readonly options: EdtDatapathOptions,
    private readonly records: LimitRecords,
    private maps: EdtMaps | undefined,
  ) {
    this.horizonNs = BigInt(options.horizonNs ?? DEFAULT_HORIZON_NS);
    this.ingressEcnThresholdNs = BigInt(options.ingressEcnThresholdNs ?? DEFAULT_INGRESS_ECN_THRESHOLD_NS);
  }

  async ensureLimit(spec: LimitSpec): Promise<EnsureResult> {
    validate(spec);
    const { attachment, direction } = spec;
    const maps = this.liveMaps();
    const netnsPath = direction === "egress" ? attachment.netnsPath : null;
    const interfaceName = direction === "egress" ? attachment.podInterface : attachment.hostInterface;
    if (!interfaceName) {
      throw new DatapathError("NOT_FOUND", `ingress limit for ${attachment.podKey}: its host-side veth is not known yet`);
    }
    if (direction === "ingress" && !existsSync(attachment.netnsPath)) {
      throw new DatapathError("NOT_FOUND", `ingress limit for ${attachment.podKey}: ${attachment.netnsPath} does not exist`);
    }
    const known = this.records.find(attachment.podKey, direction);
    const moved = known && (known.netnsPath !== netnsPath || known.interfaceName !== interfaceName);
    if (moved) await this.removeLimit(attachment.podKey, direction); // same Pod key, new sandbox
    const previous = moved ? undefined : known;
    // One read serves both: whether fq is already there, and (for a new limit) what fq will replace.
    const root = readRootQdisc(netnsPath, interfaceName); // also: NOT_FOUND for a missing netns/interface
    const fq = this.fqOptions(spec.bitsPerSecond);
    // fq installed and sized for this rate: its packet limits follow the rate (an edit may change them).
    const fqPresent = root?.kind === "fq" && sameFqLimits(fqOptionsOf(root), fq);
    const fqWasRoot = root?.kind === "fq";
    const record: LimitRecord = previous ?? {
      podKey: attachment.podKey,
      direction,
      identity: allocateIdentity(this.records.all(), attachment.podKey, EDT_MAX_IDENTITY),
      podNetnsPath: attachment.netnsPath,
      netnsPath,
      interfaceName,
      replacedQdisc: replacementOf(root),
      createdClsact: false,
      programId: 0,
    };
    // Written before touching the kernel: a crash from here on still knows what to restore.
    if (!previous) this.records.put(record);

    try {
      return this.apply(maps, spec, record, previous, fqPresent, fqWasRoot, fq);
    } catch (error) {
      // A new limit that failed half-way is taken out again: nothing half-installed stays behind.
      if (!previous) await this.removeLimit(attachment.podKey, direction).catch(() => undefined);
      throw error;
    }
  }

  private apply(
    maps: EdtMaps,
    spec: LimitSpec,
    record: LimitRecord,
    previous: LimitRecord | undefined,
    fqPresent: boolean,
    fqWasRoot: boolean,
    fq: FqOptions,
  ): EnsureResult {
    const { netnsPath, interfaceName, direction } = record;
    const repaired: RepairedPiece[] = [];
    step(`set the rate of identity ${record.identity}`, () =>
      maps.writePod(record.identity, directionIndex(direction), this.podConfig(record, spec.bitsPerSecond), previous === undefined),
    );
    if (!fqPresent) {
      installFq(netnsPath, interfaceName, fq);
      if (previous && !fqWasRoot) repaired.push("qdisc");
    }
    if (direction === "egress" && this.options.capEgressGso !== false) this.capGso(record, spec.bitsPerSecond);
    if (!previous || !programAttached(record)) {
      const attached = attachProgram(record, {
        pinRoot: this.options.bpffsDir,
        direction: directionIndex(direction),
        ...(this.options.objectPath ? { objectPath: this.options.objectPath } : {}),
      });
      if (previous) repaired.push("program");
      const latest = this.records.find(record.podKey, record.direction) ?? record;
      this.records.put({
        ...latest,
        programId: attached.programId,
        createdClsact: record.createdClsact || attached.createdClsact,
      });
    }
    return { identity: record.identity, repaired };
  }

  async removeLimit(podKey: string, direction: Direction): Promise<void> {
    const record = this.records.find(podKey, direction);
    if (!record) return;
    const maps = this.liveMaps();
    try {
      detachProgram(record);
      restoreQdisc(record);
      if (record.originalGsoMaxSize !== undefined) {
        const original = record.originalGsoMaxSize;
        step(`restore gso_max_size of ${record.interfaceName}`, () =>
          setGsoMaxSize(record.netnsPath, record.interfaceName, original),
        );
      }
    } catch (error) {
      // The Pod's namespace or veth is gone: so is everything pacer put there.
      if (!(error instanceof DatapathError && error.code === "NOT_FOUND")) throw error;
    }
    step(`clear identity ${record.identity}`, () => maps.writePod(record.identity, directionIndex(direction), emptyPodConfig(), true));
    this.records.remove(podKey, direction);
  }

  async listLimits(): Promise<AppliedLimit[]> {
    const maps = this.liveMaps();
    const limits: AppliedLimit[] = [];
    for (const record of this.records.all()) {
      const { config, counters } = step(`read identity ${record.identity}`, () => maps.readPod(record.identity, directionIndex(record.direction)));
      if (config.bitsPerSecond === 0n) continue;
      limits.push({
        podKey: record.podKey,
        direction: record.direction,
        identity: record.identity,
        bitsPerSecond: Number(config.bitsPerSecond),
        netnsPath: record.podNetnsPath,
        interfaceName: record.interfaceName,
        counters: {
          packets: Number(counters.packets),
          bytes: Number(counters.bytes),
          delayedPackets: Number(counters.delayedPackets),
          horizonDrops: Number(counters.horizonDrops),
          ecnMarks: Number(counters.ecnMarks),
          bypassedPackets: Number(counters.bypassedPackets),
        },
      });
    }
    return limits;
  }

  async close(): Promise<void> {
    this.maps?.close();
    this.maps = undefined;
  }

  /**
   * Limits a previous run enforced keep their rates, but take this run's settings (flow isolation, horizon,
   * ECN threshold, credits): a restart with other settings changes every Pod at once, not at its next edit.
   */
  adoptSettings(): void {
    const maps = this.liveMaps();
    for (const record of this.records.all()) {
      const index = directionIndex(record.direction);
      const { config } = step(`read identity ${record.identity}`, () => maps.readPod(record.identity, index));
      if (config.bitsPerSecond === 0n) continue;
      const wanted = this.podConfig(record, Number(config.bitsPerSecond));
      const same = (Object.keys(wanted) as Array<keyof PodConfig>).every((key) => String(wanted[key]) === String(config[key]));
      if (!same) step(`update the settings of identity ${record.identity}`, () => maps.writePod(record.identity, index, wanted, false));
    }
  }

  /** What the program reads for this limit; the timeline and counters are the program's (kept on an edit). */
  private podConfig(record: LimitRecord, bitsPerSecond: number): PodConfig {
    const isolation = this.options.flowIsolation !== false;
    const credits = flowIsolationCredits(bitsPerSecond);
    return {
      ...emptyPodConfig(),
      bitsPerSecond: BigInt(bitsPerSecond),
      horizonNs: this.horizonNs,
      ecnThresholdNs: record.direction === "ingress" ? this.ingressEcnThresholdNs : 0n,
      flowCreditNs: credits.flowCreditNs,
      bypassCreditNs: credits.bypassCreditNs,
      flags: isolation ? EDT_FLOW_ISOLATION : 0,
    };
  }

  private fqOptions(bitsPerSecond: number): FqOptions {
    return { ...this.options.fq, ...fqLimitsFor(bitsPerSecond, this.horizonNs), horizonNs: this.horizonNs, horizonDrop: true };
  }

  /** Caps gso_max_size for the rate, remembering the original once (in the state file, before the change). */
  private capGso(record: LimitRecord, bitsPerSecond: number): void {
    const current = this.records.find(record.podKey, record.direction) ?? record;
    const link = step(`read ${record.interfaceName}`, () =>
      listLinks(record.netnsPath).find((candidate) => candidate.name === record.interfaceName),
    );
    if (!link || link.gsoMaxSize === 0) return;
    const original = current.originalGsoMaxSize ?? link.gsoMaxSize;
    const wanted = cappedGsoMaxSize(bitsPerSecond, link.mtu, original);
    if (current.originalGsoMaxSize === undefined) this.records.put({ ...current, originalGsoMaxSize: original });
    if (link.gsoMaxSize !== wanted) {
      step(`cap gso_max_size of ${record.interfaceName}`, () =>
        setGsoMaxSize(record.netnsPath, record.interfaceName, wanted),
      );
    }
  }

  private liveMaps(): EdtMaps {
    if (!this.maps) throw new DatapathError("INVALID_ARGUMENT", "the EDT datapath is closed");
    return this.maps;
  }
}

const sameFqLimits = (installed: FqOptions, wanted: FqOptions): boolean =>
  installed.plimit === wanted.plimit && installed.flowPlimit === wanted.flowPlimit;
