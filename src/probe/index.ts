/**
 * Can this kernel do EDT pacing? The one public surface of src/probe/: the agent calls `probeEdt()` at
 * start-up to choose `BandwidthManager: EDT with BPF ...` or `Disabled (<reason>)`; `pacer check` prints the
 * same report. Probing decides, not `uname`: the kernel-touching probes sit behind `KernelProbes` (inject a
 * fake to test the verdict without root); the verdict and every sentence are pure (verdict.ts).
 *
 *   const report = await probeEdt();
 *   if (!report.edt.available) status.set(`Disabled (${report.edt.reason})`);
 */
import { release as kernelRelease } from "node:os";
import {
  probeAfAlgHash,
  probeBpffs,
  probeBpfJit,
  probeCgroup2,
  probePerfEvents,
  probeSchedstats,
  probeSetTstamp,
  readKernelConfig,
} from "./host-probes.js";
import type { KernelConfig } from "./kernel-facts.js";
import { probeTcFeatures, type TcObservations } from "./netns-probes.js";
import type { Observations } from "./requirements.js";
import { buildReport, type ProbeReport } from "./verdict.js";

export type { CheckResult, ProbeReport } from "./verdict.js";
export { buildReport, formatReport } from "./verdict.js";
export type { KernelConfig } from "./kernel-facts.js";
export type { Observation, Observations, ProbedFeature } from "./requirements.js";

/** The kernel-touching half. The real one reads procfs and runs ip/tc in a throwaway namespace. */
export interface KernelProbes {
  kernelRelease(): string;
  kernelConfig(release: string): KernelConfig | null;
  /** Read-only probes: JIT, bpffs, cgroup2, AF_ALG hash, perf events, schedstats, bpf_skb_set_tstamp. */
  hostFeatures(): Promise<Omit<Observations, keyof TcObservations>>;
  /** bpf() load, clsact, cls_bpf, skb->tstamp from tc, fq, the GSO cap — in a namespace created and removed by the probe. */
  tcFeatures(): Promise<TcObservations>;
}

export const kernelProbes: KernelProbes = {
  kernelRelease,
  kernelConfig: readKernelConfig,
  hostFeatures: async () => ({
    bpfJit: probeBpfJit(),
    bpffs: probeBpffs(),
    cgroup2: probeCgroup2(),
    afAlgHash: await probeAfAlgHash(),
    perfEvents: probePerfEvents(),
    schedstats: probeSchedstats(),
    setTstamp: await probeSetTstamp(),
  }),
  tcFeatures: probeTcFeatures,
};

export interface ProbeOptions {
  /** Defaults to the real kernel probes. */
  probes?: KernelProbes;
}

export async function probeEdt(options: ProbeOptions = {}): Promise<ProbeReport> {
  const probes = options.probes ?? kernelProbes;
  const release = probes.kernelRelease();
  const [host, tc] = await Promise.all([probes.hostFeatures(), probes.tcFeatures()]);
  return buildReport({ release, config: probes.kernelConfig(release), observations: { ...host, ...tc } });
}
