/**
 * The real run's judgement, pure: per-second rates at the outside hosts (from cumulative rx byte samples),
 * a node's ideal share (the budget less its 5% reserve, split evenly among the nodes whose senders want more
 * than that — every sender here is a bulk TCP stream), when the rates settled after a shift, and the largest
 * 1-second total/budget ratio after that. The tolerance is the simulator's oracle's: within 10% of the ideal
 * or 1% of the budget.
 */
export interface RxSample {
  atMs: number;
  /** Cumulative bytes received per node, in node order. */
  bytes: number[];
}

/** Bits per second per node over each whole second since `fromMs` (sample points nearest the boundaries). */
export function perSecond(samples: readonly RxSample[], fromMs: number, toMs: number): number[][] {
  const at = (ms: number): RxSample | undefined => {
    let best: RxSample | undefined;
    for (const sample of samples) if (best === undefined || Math.abs(sample.atMs - ms) < Math.abs(best.atMs - ms)) best = sample;
    return best;
  };
  const seconds: number[][] = [];
  for (let start = fromMs; start + 1000 <= toMs; start += 1000) {
    const a = at(start);
    const b = at(start + 1000);
    if (a === undefined || b === undefined || b.atMs <= a.atMs) continue;
    seconds.push(b.bytes.map((bytes, node) => ((bytes - (a.bytes[node] ?? 0)) * 8 * 1000) / (b.atMs - a.atMs)));
  }
  return seconds;
}

export const RESERVE = 0.05;

export function idealShares(budgetBitsPerSec: number, active: readonly boolean[]): number[] {
  const count = active.filter(Boolean).length;
  return active.map((on) => (on && count > 0 ? ((1 - RESERVE) * budgetBitsPerSec) / count : 0));
}

export const inTolerance = (rate: number, ideal: number, budgetBitsPerSec: number): boolean =>
  Math.abs(rate - ideal) <= Math.max(0.1 * ideal, 0.01 * budgetBitsPerSec);

/**
 * Seconds after the shift until every later second has every node in tolerance (null: never settled
 * within the window); the window's seconds start at the shift.
 */
export function convergenceSeconds(seconds: readonly number[][], ideal: readonly number[], budgetBitsPerSec: number): number | null {
  const ok = seconds.map((rates) => rates.every((rate, node) => inTolerance(rate, ideal[node] ?? 0, budgetBitsPerSec)));
  for (let index = 0; index < ok.length; index++) if (ok.slice(index).every(Boolean) && ok.length - index >= 3) return index;
  return null;
}

export const totalRatio = (rates: readonly number[], budgetBitsPerSec: number): number => rates.reduce((sum, rate) => sum + rate, 0) / budgetBitsPerSec;

export const maxRatio = (seconds: readonly number[][], budgetBitsPerSec: number): number =>
  seconds.reduce((max, rates) => Math.max(max, totalRatio(rates, budgetBitsPerSec)), 0);

export const round = (value: number, digits = 3): number => Number(value.toFixed(digits));
