/**
 * Pure arithmetic of the unlimited comparison: off/on runs of the same Pod interleaved in pairs (ABBA
 * order, so slow drift lands on both sides), judged by the median of the per-pair on/off ratios. One
 * stream on the test kernel's single CPU varies ±30% run to run; a pair's two runs are seconds apart.
 */

export type PacerState = "off" | "on";

export interface PairRun {
  state: PacerState;
  bitsPerSec: number;
}

/** The run order of `pairs` pairs, ABBA from `first`: on,off, off,on, on,off, ... (pure). */
export function abbaOrder(pairs: number, first: PacerState = "on"): PacerState[][] {
  const other: PacerState = first === "on" ? "off" : "on";
  return Array.from({ length: pairs }, (_, index) => (index % 2 === 0 ? [first, other] : [other, first]));
}

/** Median (mean of the middle two for an even count); NaN for none (pure). */
export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

export interface PairedComparison {
  /** on/off of each pair, in run order. */
  ratios: number[];
  medianRatio: number;
  medianOffBitsPerSec: number;
  medianOnBitsPerSec: number;
}

/** Per-pair on/off ratios and their median; each pair must hold one off and one on run (pure). */
export function comparePairs(pairs: ReadonlyArray<readonly PairRun[]>): PairedComparison {
  const ratios = pairs.map((pair, index) => {
    const off = pair.find((run) => run.state === "off");
    const on = pair.find((run) => run.state === "on");
    if (off === undefined || on === undefined || pair.length !== 2) throw new Error(`pair ${index + 1}: needs one off and one on run, got ${pair.map((run) => run.state).join(",")}`);
    return on.bitsPerSec / off.bitsPerSec;
  });
  const all = pairs.flat();
  return {
    ratios,
    medianRatio: median(ratios),
    medianOffBitsPerSec: median(all.filter((run) => run.state === "off").map((run) => run.bitsPerSec)),
    medianOnBitsPerSec: median(all.filter((run) => run.state === "on").map((run) => run.bitsPerSec)),
  };
}
