/**
 * The agent's seams to parts built elsewhere: the kernel probe, the EDT datapath, the Kubernetes Pod source
 * and Event sink. Each is imported on demand (a computed specifier), so the agent starts — and says what is
 * missing — even when a part is absent from the build, and tests and the benchmark can inject their own.
 */
import type { Datapath } from "../datapath/datapath.js";
import type { EventSink } from "../kube/events.js";
import type { PodSource } from "../kube/pod.js";

export interface EdtVerdict {
  edt: { available: boolean; reason: string | null };
}
export type EdtProbe = () => Promise<EdtVerdict>;

async function importPart<T>(specifier: string): Promise<T> {
  return (await import(specifier)) as T;
}

/** The kernel probe (src/probe): can this kernel do EDT with fq? A failed probe is a reason, not a crash. */
export const defaultProbe: EdtProbe = async () => {
  try {
    const probe = await importPart<{ probeEdt(): Promise<EdtVerdict> }>("../probe/index.js");
    return await probe.probeEdt();
  } catch (error) {
    return { edt: { available: false, reason: `kernel probe failed: ${(error as Error).message}` } };
  }
};

export async function openEdt(options: { bpffsDir: string; stateDir: string; horizonNs: number }): Promise<Datapath> {
  const edt = await importPart<{ openEdtDatapath(options: { bpffsDir: string; stateDir: string; horizonNs: number }): Promise<Datapath> }>(
    "../datapath/edt/index.js",
  );
  return edt.openEdtDatapath(options);
}

export async function openInformer(options: { kubeconfig: string; nodeName: string; log(line: string): void }): Promise<PodSource> {
  const informer = await importPart<{ createInformerPodSource(options: { kubeconfig: string; nodeName: string; log(line: string): void }): PodSource }>(
    "../kube/informer.js",
  );
  return informer.createInformerPodSource(options);
}

/** Kubernetes Events when that part is built (src/kube/kubernetes-events.ts), else null (the caller logs). */
export async function openKubernetesEvents(options: { kubeconfig: string; nodeName: string; log(line: string): void }): Promise<EventSink | null> {
  try {
    const module = await importPart<Record<string, unknown>>("../kube/kubernetes-events.js");
    const factory = module.createKubernetesEventSink;
    return typeof factory === "function" ? (factory as (o: typeof options) => EventSink)(options) : null;
  } catch {
    return null;
  }
}
