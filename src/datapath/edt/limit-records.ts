/**
 * What the EDT datapath installed, remembered in a state file under stateDir so that removal restores the
 * replaced qdisc (and gso setting) even after an agent restart, and identities stay stable across restarts.
 * The file is rewritten atomically (write + rename). Identity allocation is pure and lives here too.
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

interface StateFile {
  version: 1;
  limits: LimitRecord[];
}

export class LimitRecords {
  private readonly path: string;
  private records: LimitRecord[];

  constructor(stateDir: string) {
    mkdirSync(stateDir, { recursive: true, mode: 0o700 });
    this.path = join(stateDir, "edt-limits.json");
    this.records = LimitRecords.read(this.path);
  }

  private static read(path: string): LimitRecord[] {
    let text: string;
    try {
      text = readFileSync(path, "utf8");
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return [];
      throw error;
    }
    const parsed = JSON.parse(text) as StateFile;
    if (parsed.version !== 1 || !Array.isArray(parsed.limits)) {
      throw new Error(`read ${path}: unknown state file version ${String(parsed.version)} (move it away to start fresh)`);
    }
    return parsed.limits;
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
    const content: StateFile = { version: 1, limits: this.records };
    writeFileSync(temporary, `${JSON.stringify(content, null, 2)}\n`, { mode: 0o600 });
    renameSync(temporary, this.path);
  }
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
