/**
 * What the program reads for one Pod direction (pure): the rates, the budget slots, the horizon and ECN
 * threshold, and the flow-isolation credits that follow the Pod's own rate (pacing-parameters.ts).
 */
import { EDT_FLOW_ISOLATION, emptyPodConfig, type PodConfig } from "../../bpf/index.js";
import type { Direction } from "../datapath.js";
import { flowIsolationCredits } from "./pacing-parameters.js";

export interface PodConfigSettings {
  horizonNs: bigint;
  ingressEcnThresholdNs: bigint;
  flowIsolation: boolean;
}

export interface PodRates {
  bitsPerSecond: number | null;
  externalBitsPerSecond: number | null;
  /** Budget slots, in the order the Pod lists them. */
  budgetSlots: readonly number[];
}

export function podConfigOf(direction: Direction, rates: PodRates, settings: PodConfigSettings): PodConfig {
  // Credits are time at the Pod's own rate; a Pod with only budgets has no own timeline to bypass.
  const ownRate = rates.bitsPerSecond ?? rates.externalBitsPerSecond;
  const credits = ownRate === null ? { flowCreditNs: 0n, bypassCreditNs: 0n, sparseMaxLen: 0 } : flowIsolationCredits(ownRate);
  return {
    ...emptyPodConfig(),
    bitsPerSecond: BigInt(rates.bitsPerSecond ?? 0),
    externalBitsPerSecond: BigInt(rates.externalBitsPerSecond ?? 0),
    horizonNs: settings.horizonNs,
    ecnThresholdNs: direction === "ingress" ? settings.ingressEcnThresholdNs : 0n,
    flowCreditNs: credits.flowCreditNs,
    bypassCreditNs: credits.bypassCreditNs,
    sparseMaxLen: credits.sparseMaxLen,
    flags: settings.flowIsolation ? EDT_FLOW_ISOLATION : 0,
    budgets: [...rates.budgetSlots],
  };
}

/** The rates a config holds (what listLimits reports and adoption keeps). */
export function ratesOf(config: PodConfig): PodRates {
  return {
    bitsPerSecond: config.bitsPerSecond === 0n ? null : Number(config.bitsPerSecond),
    externalBitsPerSecond: config.externalBitsPerSecond === 0n ? null : Number(config.externalBitsPerSecond),
    budgetSlots: config.budgets,
  };
}

/** Whether a config enforces anything at all (a cleared entry does not). */
export const enforcesAnything = (config: PodConfig): boolean =>
  config.bitsPerSecond !== 0n || config.externalBitsPerSecond !== 0n || config.budgets.length > 0;

export const sameConfig = (a: PodConfig, b: PodConfig): boolean =>
  (Object.keys(a) as Array<keyof PodConfig>).every((key) => String(a[key]) === String(b[key]));
