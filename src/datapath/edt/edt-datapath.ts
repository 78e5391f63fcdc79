/**
 * The real Datapath (docs/design.md, "Where the datapath sits"): per limited Pod and direction, fq as the
 * root qdisc and one instance of the EDT program on tc egress — of the Pod's interface inside its
 * namespace (egress) or of the host-side veth (ingress) — sharing the pinned maps; budget timelines
 * (budgets.ts) and the inside-the-cluster prefixes in the same maps. Adopts pinned state and the state file
 * on open (open.ts), never detaching or resetting anything at start, so a limited Pod never runs unlimited
 * across a restart.
 */
import { existsSync } from "node:fs";
import {
  EDT_DIRECTION_EGRESS,
  EDT_DIRECTION_INGRESS,
  EDT_MAX_IDENTITY,
  emptyPodConfig,
  listLinks,
  setGsoMaxSize,
  type EdtDirectionIndex,
  type EdtMaps,
  type FqOptions,
} from "../../bpf/index.js";
import {
  DatapathError,
  type AppliedBudget,
  type AppliedLimit,
  type BudgetShare,
  type Datapath,
  type Direction,
  type EnsureResult,
  type LimitSpec,
  type RepairedPiece,
} from "../datapath.js";
import { normalizePrefixes, validateSpec } from "../validate.js";
import { EdtBudgets } from "./budgets.js";
import { cappedGsoMaxSize } from "./gso-cap.js";
import {
  attachProgram, detachProgram, fqOptionsOf, installFq, programAttached, readRootQdisc, replacementOf, restoreQdisc, step,
} from "./kernel-ops.js";
import { allocateIdentity, type LimitRecord, type LimitRecords } from "./limit-records.js";
import { fqLimitsFor } from "./pacing-parameters.js";
import { enforcesAnything, podConfigOf, ratesOf, sameConfig, type PodConfigSettings } from "./pod-config.js";

export interface EdtDatapathSettings extends PodConfigSettings {
  bpffsDir: string;
  objectPath?: string;
  fq?: Pick<FqOptions, "bucketsLog">;
  capEgressGso: boolean;
}

const directionIndex = (direction: Direction): EdtDirectionIndex =>
  direction === "egress" ? EDT_DIRECTION_EGRESS : EDT_DIRECTION_INGRESS;

/** The rates a spec asks for, the smallest first (what the GSO cap follows), the largest last (fq's limits). */
const ratesIn = (spec: LimitSpec, budgetRates: number[]): number[] =>
  [spec.bitsPerSecond, spec.externalBitsPerSecond ?? null, ...budgetRates].filter((rate): rate is number => rate !== null).sort((a, b) => a - b);

export class EdtDatapath implements Datapath {
  readonly kind = "edt";
  private readonly budgets: EdtBudgets;

  constructor(
    private readonly settings: EdtDatapathSettings,
    private readonly records: LimitRecords,
    private maps: EdtMaps | undefined,
  ) {
    this.budgets = new EdtBudgets(records, settings.horizonNs);
  }

  async ensureLimit(spec: LimitSpec): Promise<EnsureResult> {
    validateSpec(spec);
    const { attachment, direction } = spec;
    const maps = this.liveMaps();
    const slots = this.budgets.slotsOf(spec.budgets ?? [], direction);
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
    const rates = ratesIn(spec, this.budgets.list(maps).filter((budget) => slots.includes(budget.slot)).map((budget) => budget.bitsPerSecond));
    // One read serves both: whether fq is already there (sized for these rates), and what fq will replace.
    const root = readRootQdisc(netnsPath, interfaceName); // also: NOT_FOUND for a missing netns/interface
    const fq = this.fqOptions(rates.at(-1) ?? 0);
    const fqPresent = root?.kind === "fq" && sameFqLimits(fqOptionsOf(root), fq);
    // Another record on this interface (a Pod recreated with a new uid into the same sandbox, removal still
    // pending): the original state to restore is what that record remembered, not pacer's own fq.
    const holder = previous ? undefined : this.sharerOf({ podKey: attachment.podKey, direction, netnsPath, interfaceName });
    const record: LimitRecord = previous ?? {
      podKey: attachment.podKey,
      direction,
      identity: allocateIdentity(this.records.all(), attachment.podKey, EDT_MAX_IDENTITY),
      podNetnsPath: attachment.netnsPath,
      netnsPath,
      interfaceName,
      replacedQdisc: holder ? holder.replacedQdisc : replacementOf(root),
      createdClsact: holder?.createdClsact ?? false,
      programId: 0,
      ...(holder?.originalGsoMaxSize !== undefined ? { originalGsoMaxSize: holder.originalGsoMaxSize } : {}),
    };
    // Written before touching the kernel: a crash from here on still knows what to restore.
    if (!previous) this.records.put(record);
    try {
      const repaired: RepairedPiece[] = [];
      const config = podConfigOf(direction, { bitsPerSecond: spec.bitsPerSecond, externalBitsPerSecond: spec.externalBitsPerSecond ?? null, budgetSlots: slots }, this.settings);
      step(`set the limits of identity ${record.identity}`, () => maps.writePod(record.identity, directionIndex(direction), config, previous === undefined));
      if (!fqPresent) {
        installFq(netnsPath, interfaceName, fq);
        if (previous && root?.kind !== "fq") repaired.push("qdisc");
      }
      if (direction === "egress" && this.settings.capEgressGso && rates[0] !== undefined) this.capGso(record, rates[0]);
      if (!previous || !programAttached(record)) {
        this.attach(record);
        if (previous) repaired.push("program");
      }
      return { identity: record.identity, repaired };
    } catch (error) {
      // A new limit that failed half-way is taken out again: nothing half-installed stays behind.
      if (!previous) await this.removeLimit(attachment.podKey, direction).catch(() => undefined);
      throw error;
    }
  }

  async removeLimit(podKey: string, direction: Direction): Promise<void> {
    const record = this.records.find(podKey, direction);
    if (!record) return;
    const maps = this.liveMaps();
    // The interface now belongs to another record (same sandbox, new Pod uid): its program, fq and GSO cap
    // stay; only this identity's limits go.
    if (this.sharerOf(record) === undefined) {
      try {
        detachProgram(record);
        restoreQdisc(record);
        if (record.originalGsoMaxSize !== undefined) {
          const original = record.originalGsoMaxSize;
          step(`restore gso_max_size of ${record.interfaceName}`, () => setGsoMaxSize(record.netnsPath, record.interfaceName, original));
        }
      } catch (error) {
        // The Pod's namespace or veth is gone: so is everything pacer put there.
        if (!(error instanceof DatapathError && error.code === "NOT_FOUND")) throw error;
      }
    }
    step(`clear identity ${record.identity}`, () => maps.writePod(record.identity, directionIndex(direction), emptyPodConfig(), true));
    this.records.remove(podKey, direction);
  }

  async listLimits(): Promise<AppliedLimit[]> {
    const maps = this.liveMaps();
    const limits: AppliedLimit[] = [];
    for (const record of this.records.all()) {
      const { config, counters } = step(`read identity ${record.identity}`, () => maps.readPod(record.identity, directionIndex(record.direction)));
      if (!enforcesAnything(config)) continue;
      const rates = ratesOf(config);
      limits.push({
        podKey: record.podKey,
        direction: record.direction,
        identity: record.identity,
        bitsPerSecond: rates.bitsPerSecond,
        externalBitsPerSecond: rates.externalBitsPerSecond,
        budgets: this.budgets.keysOf(rates.budgetSlots, record.direction),
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

  async ensureBudget(share: BudgetShare): Promise<{ slot: number }> {
    return this.budgets.ensure(this.liveMaps(), share);
  }

  async removeBudget(key: string, direction: Direction): Promise<void> {
    const maps = this.liveMaps();
    const slot = this.records.findBudget(key, direction)?.slot;
    const inUse = slot !== undefined && this.records.all().some((record) => record.direction === direction && maps.readPod(record.identity, directionIndex(direction)).config.budgets.includes(slot));
    this.budgets.remove(maps, key, direction, inUse);
  }

  async listBudgets(): Promise<AppliedBudget[]> {
    return this.budgets.list(this.liveMaps());
  }

  async setInternalRanges(prefixes: readonly string[]): Promise<void> {
    const normalized = normalizePrefixes(prefixes);
    step("set the inside-the-cluster ranges", () => this.liveMaps().setInternalRanges(normalized));
  }

  async internalRanges(): Promise<string[]> {
    return this.liveMaps().internalRanges();
  }

  async close(): Promise<void> {
    this.maps?.close();
    this.maps = undefined;
  }

  /**
   * Limits a previous run enforced keep their rates and budgets, but take this run's settings (flow
   * isolation, horizon, ECN threshold): a restart with other settings changes every Pod at once.
   */
  adoptSettings(): void {
    const maps = this.liveMaps();
    for (const record of this.records.all()) {
      const index = directionIndex(record.direction);
      const { config } = step(`read identity ${record.identity}`, () => maps.readPod(record.identity, index));
      if (!enforcesAnything(config)) continue;
      const wanted = podConfigOf(record.direction, ratesOf(config), this.settings);
      if (!sameConfig(wanted, config)) step(`update the settings of identity ${record.identity}`, () => maps.writePod(record.identity, index, wanted, false));
    }
  }

  /** Another record that enforces the same direction on the same interface, if any. */
  private sharerOf(record: Pick<LimitRecord, "podKey" | "direction" | "netnsPath" | "interfaceName">): LimitRecord | undefined {
    return this.records.all().find((other) =>
      other.podKey !== record.podKey && other.direction === record.direction && other.netnsPath === record.netnsPath && other.interfaceName === record.interfaceName);
  }

  private attach(record: LimitRecord): void {
    const attached = attachProgram(record, {
      pinRoot: this.settings.bpffsDir,
      direction: directionIndex(record.direction),
      ...(this.settings.objectPath ? { objectPath: this.settings.objectPath } : {}),
    });
    const latest = this.records.find(record.podKey, record.direction) ?? record;
    this.records.put({ ...latest, programId: attached.programId, createdClsact: record.createdClsact || attached.createdClsact });
  }

  private fqOptions(bitsPerSecond: number): FqOptions {
    return { ...this.settings.fq, ...fqLimitsFor(bitsPerSecond, this.settings.horizonNs), horizonNs: this.settings.horizonNs, horizonDrop: true };
  }

  /** Caps gso_max_size for the rate, remembering the original once (in the state file, before the change). */
  private capGso(record: LimitRecord, bitsPerSecond: number): void {
    const current = this.records.find(record.podKey, record.direction) ?? record;
    const link = step(`read ${record.interfaceName}`, () => listLinks(record.netnsPath).find((candidate) => candidate.name === record.interfaceName));
    if (!link || link.gsoMaxSize === 0) return;
    const original = current.originalGsoMaxSize ?? link.gsoMaxSize;
    const wanted = cappedGsoMaxSize(bitsPerSecond, link.mtu, original);
    if (current.originalGsoMaxSize === undefined) this.records.put({ ...current, originalGsoMaxSize: original });
    if (link.gsoMaxSize !== wanted) {
      step(`cap gso_max_size of ${record.interfaceName}`, () => setGsoMaxSize(record.netnsPath, record.interfaceName, wanted));
    }
  }

  private liveMaps(): EdtMaps {
    if (!this.maps) throw new DatapathError("INVALID_ARGUMENT", "the EDT datapath is closed");
    return this.maps;
  }
}

const sameFqLimits = (installed: FqOptions, wanted: FqOptions): boolean =>
  installed.plimit === wanted.plimit && installed.flowPlimit === wanted.flowPlimit;
