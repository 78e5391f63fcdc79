/**
 * The EDT program's pinned maps (edt-layout.ts), opened together and used through typed operations: a Pod
 * entry (identity, direction) is its config, its timeline and its per-CPU counters; a budget slot likewise;
 * the inside-the-cluster prefixes are an LPM trie. One owner, one close().
 */
import { BpfMap, possibleCpus } from "./bpf.js";
import {
  BUDGET_CONFIG,
  BUDGET_COUNTERS,
  BUDGET_TIMELINE,
  decodeBudgetConfig,
  decodeBudgetCounters,
  decodePodConfig,
  decodePodCounters,
  EDT_MAPS,
  encodeBudgetConfig,
  encodeBudgetKey,
  encodePodConfig,
  encodePodKey,
  encodeRangeKey,
  idleBudgetTimeline,
  idlePodTimeline,
  POD_CONFIG,
  POD_COUNTERS,
  POD_TIMELINE,
  RANGE_KEY,
  type BudgetConfig,
  type BudgetCounters,
  type EdtDirectionIndex,
  type PodConfig,
  type PodCounters,
} from "./edt-layout.js";
import { pinnedMapPath } from "./edt-program.js";
import { BpfError } from "./errors.js";
import { decodeStruct } from "./struct-codec.js";

export interface PodMapEntry {
  config: PodConfig;
  counters: PodCounters;
}

export interface BudgetMapEntry {
  config: BudgetConfig;
  counters: BudgetCounters;
}

export interface EdtMaps {
  /** Writes a Pod entry's config; `fresh` also makes its timeline idle and zeroes its counters. */
  writePod(identity: number, direction: EdtDirectionIndex, config: PodConfig, fresh: boolean): void;
  readPod(identity: number, direction: EdtDirectionIndex): PodMapEntry;
  writeBudget(slot: number, config: BudgetConfig, fresh: boolean): void;
  readBudget(slot: number): BudgetMapEntry;
  /** Replaces the inside-the-cluster prefixes with `prefixes` (CIDR text), adding before removing. */
  setInternalRanges(prefixes: readonly string[]): void;
  internalRanges(): string[];
  close(): void;
}

const MAP_SIZES: Array<[name: string, valueSize: number]> = [
  [EDT_MAPS.podConfig, POD_CONFIG.size],
  [EDT_MAPS.podTimeline, POD_TIMELINE.size],
  [EDT_MAPS.podCounters, POD_COUNTERS.size],
  [EDT_MAPS.budgetConfig, BUDGET_CONFIG.size],
  [EDT_MAPS.budgetTimeline, BUDGET_TIMELINE.size],
  [EDT_MAPS.budgetCounters, BUDGET_COUNTERS.size],
  [EDT_MAPS.internalRanges, 1],
];

/** Opens every pinned map under `pinRoot`, checking each value size against this pacer's layout. */
export function openEdtMaps(pinRoot: string): EdtMaps {
  const maps = new Map<string, BpfMap>();
  try {
    for (const [name, valueSize] of MAP_SIZES) {
      const map = BpfMap.openPinned(pinnedMapPath(pinRoot, name));
      maps.set(name, map);
      if (map.valueSize !== valueSize) {
        throw new BpfError(
          "INVALID_ARGUMENT",
          `pinned map ${pinnedMapPath(pinRoot, name)} has ${map.valueSize}-byte values, this pacer uses ${valueSize}: ` +
            "an incompatible pacer left it; remove the pin after removing that pacer's limits",
        );
      }
    }
  } catch (error) {
    for (const map of maps.values()) map.close();
    throw error;
  }
  return new PinnedEdtMaps(maps);
}

class PinnedEdtMaps implements EdtMaps {
  constructor(private readonly maps: Map<string, BpfMap>) {}

  writePod(identity: number, direction: EdtDirectionIndex, config: PodConfig, fresh: boolean): void {
    const key = encodePodKey(identity, direction);
    if (fresh) {
      this.map(EDT_MAPS.podTimeline).update(key, idlePodTimeline());
      this.zeroCounters(EDT_MAPS.podCounters, key);
    }
    this.map(EDT_MAPS.podConfig).update(key, encodePodConfig(config));
  }

  readPod(identity: number, direction: EdtDirectionIndex): PodMapEntry {
    const key = encodePodKey(identity, direction);
    return {
      config: decodePodConfig(this.read(EDT_MAPS.podConfig, key)),
      counters: decodePodCounters(this.read(EDT_MAPS.podCounters, key), possibleCpus()),
    };
  }

  writeBudget(slot: number, config: BudgetConfig, fresh: boolean): void {
    const key = encodeBudgetKey(slot);
    if (fresh) {
      this.map(EDT_MAPS.budgetTimeline).update(key, idleBudgetTimeline());
      this.zeroCounters(EDT_MAPS.budgetCounters, key);
    }
    this.map(EDT_MAPS.budgetConfig).update(key, encodeBudgetConfig(config));
  }

  readBudget(slot: number): BudgetMapEntry {
    const key = encodeBudgetKey(slot);
    return {
      config: decodeBudgetConfig(this.read(EDT_MAPS.budgetConfig, key)),
      counters: decodeBudgetCounters(this.read(EDT_MAPS.budgetCounters, key), possibleCpus()),
    };
  }

  setInternalRanges(prefixes: readonly string[]): void {
    const map = this.map(EDT_MAPS.internalRanges);
    const wanted = new Map(prefixes.map((prefix) => [rangeKeyOf(prefix).toString("hex"), prefix]));
    const present = map.keys();
    // Adding first: a prefix that stays is never missing for a moment (it would look outside meanwhile).
    for (const hex of wanted.keys()) map.update(Buffer.from(hex, "hex"), Buffer.from([1]));
    for (const key of present) if (!wanted.has(key.toString("hex"))) map.delete(key);
  }

  internalRanges(): string[] {
    return this.map(EDT_MAPS.internalRanges).keys().map(rangeTextOf).sort();
  }

  close(): void {
    for (const map of this.maps.values()) map.close();
    this.maps.clear();
  }

  private map(name: string): BpfMap {
    const map = this.maps.get(name);
    if (!map) throw new BpfError("INVALID_ARGUMENT", "the EDT maps are closed");
    return map;
  }

  private read(name: string, key: Buffer): Buffer {
    // Array maps have every index: an absent value is a closed or mismatched map, not "no entry".
    const value = this.map(name).lookup(key);
    if (!value) throw new BpfError("NOT_FOUND", `map ${name}: no value at key ${key.toString("hex")}`);
    return value;
  }

  private zeroCounters(name: string, key: Buffer): void {
    const map = this.map(name);
    map.update(key, Buffer.alloc(map.valueBytes));
  }
}

/** "10.42.0.0/16" or "fd00::/8" → the LPM key (pure). */
export function rangeKeyOf(prefix: string): Buffer {
  const [address = "", lengthText = ""] = prefix.split("/");
  const length = Number(lengthText);
  const bytes = parseAddress(address);
  if (bytes === null || !/^\d+$/.test(lengthText) || length > bytes.length * 8) {
    throw new BpfError("INVALID_ARGUMENT", `internal range "${prefix}": want an IPv4 or IPv6 prefix such as 10.42.0.0/16 or fd00::/8`);
  }
  // The network, without host bits: "10.42.1.5/16" and "10.42.0.0/16" are one prefix.
  const network = bytes.map((byte, index) => {
    const bitsKept = Math.max(0, Math.min(8, length - index * 8));
    return byte & ((0xff << (8 - bitsKept)) & 0xff);
  });
  return encodeRangeKey(network, length);
}

/** The LPM key → "a.b.c.d/n" or IPv6 text (pure). */
export function rangeTextOf(key: Buffer): string {
  const { prefixLength, address } = decodeStruct(RANGE_KEY, key) as { prefixLength: number; address: number[] };
  const mapped = address.slice(0, 10).every((byte) => byte === 0) && address[10] === 0xff && address[11] === 0xff;
  if (mapped && prefixLength >= 96) return `${address.slice(12).join(".")}/${prefixLength - 96}`;
  const groups = Array.from({ length: 8 }, (_, index) => (((address[index * 2] ?? 0) << 8) | (address[index * 2 + 1] ?? 0)).toString(16));
  return `${compressIpv6(groups)}/${prefixLength}`;
}

function compressIpv6(groups: string[]): string {
  let best = { start: -1, length: 0 };
  for (let start = 0; start < 8; start++) {
    let length = 0;
    while (start + length < 8 && groups[start + length] === "0") length++;
    if (length > best.length && length > 1) best = { start, length };
  }
  if (best.start < 0) return groups.join(":");
  return `${groups.slice(0, best.start).join(":")}::${groups.slice(best.start + best.length).join(":")}`;
}

/** IPv4 dotted quad → 4 bytes, IPv6 text → 16 bytes, else null (pure). */
export function parseAddress(text: string): Uint8Array | null {
  if (/^\d{1,3}(\.\d{1,3}){3}$/.test(text)) {
    const parts = text.split(".").map(Number);
    return parts.every((part) => part <= 255) ? Uint8Array.from(parts) : null;
  }
  if (!/^[0-9a-fA-F:.]+$/.test(text) || !text.includes(":")) return null;
  let head = text;
  let tail = "";
  const double = text.indexOf("::");
  if (double >= 0) {
    if (text.indexOf("::", double + 1) >= 0) return null;
    head = text.slice(0, double);
    tail = text.slice(double + 2);
  }
  const groupsOf = (part: string): number[] | null => {
    if (part === "") return [];
    const groups: number[] = [];
    const pieces = part.split(":");
    for (const [index, piece] of pieces.entries()) {
      if (index === pieces.length - 1 && piece.includes(".")) {
        const v4 = parseAddress(piece);
        if (v4 === null) return null;
        groups.push((v4[0]! << 8) | v4[1]!, (v4[2]! << 8) | v4[3]!);
      } else if (/^[0-9a-fA-F]{1,4}$/.test(piece)) {
        groups.push(Number.parseInt(piece, 16));
      } else {
        return null;
      }
    }
    return groups;
  };
  const first = groupsOf(head);
  const last = groupsOf(tail);
  if (first === null || last === null) return null;
  const missing = 8 - first.length - last.length;
  if ((double < 0 && missing !== 0) || (double >= 0 && missing < 1)) return null;
  const groups = [...first, ...new Array<number>(Math.max(0, missing)).fill(0), ...last];
  return Uint8Array.from(groups.flatMap((group) => [group >> 8, group & 0xff]));
}
