/**
 * What the EDT datapath installed, remembered in a state file under stateDir so that removal restores the
 * replaced qdisc (and gso setting) even after an agent restart, identities stay stable across restarts, and
 * budget slots keep their keys. The file is rewritten atomically (write + rename). Identity and slot
 * allocation are pure and live here too.
 */
import { mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Direction } from "../datapath.js";

export interface ReplacedQdisc {
  kind: string;
  handle: number;
  /** TCA_OPTIONS payload as dumped, hex. */
  optionsHex: string | null;
}

export interface LimitRecord {
  podKey: string;
  direction: Direction;
  identity: number;
  /** The Pod's namespace (reported in listLimits). */
  podNetnsPath: string;
  /** Where the program and fq live: the Pod's namespace (egress) or null = the agent's (ingress). */
  netnsPath: string | null;
  interfaceName: string;
  /** The root qdisc fq replaced; null = the device default (restored by deleting the root). */
  replacedQdisc: ReplacedQdisc | null;
  /** Whether pacer created the clsact qdisc (then it removes it when no other filter uses it). */
  createdClsact: boolean;
  /** Kernel id of the attached program; 0 until attached. */
  programId: number;
  /** gso_max_size before pacer capped it, when it did. */
  originalGsoMaxSize?: number;
}

/** A budget timeline of this node: its key and direction (the Pods' view) and its slot (the maps'). */
export interface BudgetRecord {
  key: string;
  direction: Direction;
  slot: number;
}

interface StateFile {
  version: 1;
  limits: LimitRecord[];
  /** Absent in files written before budgets existed. */
  budgets?: BudgetRecord[];
}

export class LimitRecords {
  private readonly path: string;
  private records: LimitRecord[];
  private budgetRecords: BudgetRecord[];

  constructor(stateDir: string) {
    mkdirSync(stateDir, { recursive: true, mode: 0o700 });
    this.path = join(stateDir, "edt-limits.json");
    const state = LimitRecords.read(this.path);
    this.records = state.limits;
    this.budgetRecords = state.budgets ?? [];
  }

  private static read(path: string): StateFile {
    let text: string;
    try {
      text = readFileSync(path, "utf8");
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return { version: 1, limits: [] };
      throw error;
    }
    const parsed = JSON.parse(text) as StateFile;
    if (parsed.version !== 1 || !Array.isArray(parsed.limits)) {
      throw new Error(`read ${path}: unknown state file version ${String(parsed.version)} (move it away to start fresh)`);
    }
    return parsed;
  }

  budgets(): readonly BudgetRecord[] {
    return this.budgetRecords;
  }

  findBudget(key: string, direction: Direction): BudgetRecord | undefined {
    return this.budgetRecords.find((record) => record.key === key && record.direction === direction);
  }

  putBudget(record: BudgetRecord): void {
    this.budgetRecords = [...this.budgetRecords.filter((other) => !(other.key === record.key && other.direction === record.direction)), record];
    this.write();
  }

  removeBudget(key: string, direction: Direction): void {
    this.budgetRecords = this.budgetRecords.filter((record) => !(record.key === key && record.direction === direction));
    this.write();
  }

  all(): readonly LimitRecord[] {
    return this.records;
  }

  find(podKey: string, direction: Direction): LimitRecord | undefined {
    return this.records.find((record) => record.podKey === podKey && record.direction === direction);
  }

  /** Inserts or replaces the record for (podKey, direction) and writes the file. */
  put(record: LimitRecord): void {
    this.records = [
      ...this.records.filter((other) => !(other.podKey === record.podKey && other.direction === record.direction)),
      record,
    ];
    this.write();
  }

  remove(podKey: string, direction: Direction): void {
    this.records = this.records.filter((record) => !(record.podKey === podKey && record.direction === direction));
    this.write();
  }

  private write(): void {
    const temporary = `${this.path}.tmp`;
    const content: StateFile = { version: 1, limits: this.records, budgets: this.budgetRecords };
    writeFileSync(temporary, `${JSON.stringify(content, null, 2)}\n`, { mode: 0o600 });
    renameSync(temporary, this.path);
  }
}

/** The smallest budget slot in 1..max that no budget timeline uses. */
export function allocateSlot(records: readonly BudgetRecord[], maxSlot: number): number {
  const used = new Set(records.map((record) => record.slot));
  for (let slot = 1; slot <= maxSlot; slot++) if (!used.has(slot)) return slot;
  throw new RangeError(`no free budget slot: ${maxSlot} budget timelines are already on this node`);
}

/** The Pod's identity: the one its other direction already has, else the smallest unused in 1..max. */
export function allocateIdentity(records: readonly LimitRecord[], podKey: string, maxIdentity: number): number {
  const own = records.find((record) => record.podKey === podKey);
  if (own) return own.identity;
  const used = new Set(records.map((record) => record.identity));
  for (let identity = 1; identity <= maxIdentity; identity++) {
    if (!used.has(identity)) return identity;
  }
  throw new RangeError(`no free identity: ${maxIdentity} Pods are already limited on this node`);
}
