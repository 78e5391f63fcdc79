/**
 * The composition root: config → probe → datapath → reconciler + loop → status API, metrics → Pod source.
 * Start order makes the status API answer before Pods arrive; stop order is the reverse, and stopping
 * leaves every limit enforced in the kernel (pinned) for the next agent to adopt.
 *
 * Everything from outside can be injected (tests, the 1,000-Pod benchmark, the e2e harness):
 *   startAgent(config, { podSource, events, datapath: new FakeDatapath(kernel), probe: async () => ... })
 *
 * The manager's on/off state has one owner (manager-state.ts) that the reconciler, status and metrics read.
 * Disabled for a reason of the node (not by configuration), the agent keeps probing (reprobe.ts) and turns
 * itself on once the node is fixed: the reconciler's datapath is late-bound (late-datapath.ts) for that.
 */
import type { PodStatusRow } from "../bandwidth/status-row.js";
import { ReconcileLoop } from "../bandwidth/loop.js";
import { Reconciler } from "../bandwidth/reconciler.js";
import type { AgentConfig } from "../config/config.js";
import type { Datapath } from "../datapath/datapath.js";
import { ApiAccess } from "../kube/api/access.js";
import type { EventSink } from "../kube/events.js";
import { createLogEventSink } from "../kube/log-events.js";
import type { ObjectSource, PodSource } from "../kube/pod.js";
import type { BudgetObject } from "../budgets/budget.js";
import { BudgetBook } from "../budgets/budget-book.js";
import { RangeBook } from "../scope/range-book.js";
import { createPodsDirSource } from "../kube/pods-dir.js";
import { createMetrics } from "../metrics/metrics.js";
import { startMetricsServer, type MetricsServer } from "../metrics/server.js";
import { NativeInspector } from "../netns/native-inspector.js";
import { IpNetnsResolver } from "../netns/ip-resolver.js";
import type { NetnsResolver } from "../netns/resolver.js";
import { bandwidthManagerLine, type BudgetsReport, type RangesReport, type StatusReport } from "../status/api.js";
import { defaultRouteDevices } from "../status/devices.js";
import { startStatusServer, type StatusServer } from "../status/server.js";
import { withBbr } from "./bbr.js";
import { startClusterSources } from "./cluster-sources.js";
import type { RangeSource } from "../scope/range-source.js";
import { LateDatapath } from "./late-datapath.js";
import { KernelReprober, reprobeIntervalMs } from "./reprobe.js";
import { ManagerSwitch } from "./manager-state.js";
import { defaultProbe, openClusterBudgets, openEdt, openInformer, openKubernetesEvents, type EdtProbe } from "./seams.js";
import type { ClusterBudgets } from "./cluster-budgets.js";
import { perNodeShare } from "../bandwidth/budget-timelines.js";
import { leaseNamespaceOf } from "./lease-namespace.js";

export interface AgentOverrides {
  podSource?: PodSource;
  /** BandwidthBudgets (default: the manifest directory's with --pods-dir, the API's with the Kubernetes Pod source). */
  budgetSource?: ObjectSource<BudgetObject>;
  /** Inside-the-cluster ranges besides --internal-cidrs (default: Nodes and ServiceCIDRs with the Kubernetes Pod source). */
  rangeSources?: RangeSource[];
  events?: EventSink;
  /** A datapath to use instead of the EDT one (the fake); null: none. */
  datapath?: Datapath | null;
  probe?: EdtProbe;
  /** Opens the datapath when EDT is available and none was injected (default: the EDT datapath). */
  openDatapath?: () => Promise<Datapath>;
  /** While Disabled for a kernel reason, probe again this often (default: reprobeIntervalMs(resyncInterval)). */
  reprobeIntervalMs?: number;
  resolver?: NetnsResolver;
  /** The node's uplink devices when config.devices is empty (default: the default routes' devices). */
  devices?: () => Promise<string[]>;
  log?: (line: string) => void;
  /** How long stop() waits for pending Events to be written before dropping them (default 2000 ms). */
  eventFlushDeadlineMs?: number;
  /** false: no ClusterWide budget protocol even with the Kubernetes sources (ClusterWide budgets hold their floor). */
  clusterBudgets?: boolean;
}

export interface RunningAgent {
  status(): StatusReport;
  rows(): PodStatusRow[];
  /** Resolves when the reconcile loop has nothing queued (tests). */
  idle(): Promise<void>;
  /** Run a drift-checking pass now (tests; the loop runs one every resyncInterval). */
  resync(): Promise<void>;
  /** Probe the kernel again now if Disabled for a kernel reason (tests; a timer does it); true when it enabled. */
  reprobe(): Promise<boolean>;
  metricsPort: number | null;
  stop(): Promise<void>;
}

/** Short: kubelet's default grace period is 30 s, and an Event is worth less than a prompt restart. */
export const EVENT_FLUSH_DEADLINE_MS = 2000;

/** Writes the sink's pending Events, waiting at most `deadlineMs`, then closes it. */
export async function flushAndCloseEvents(sink: EventSink, deadlineMs: number, log: (line: string) => void): Promise<void> {
  if (sink.idle) {
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), deadlineMs)));
    const flushed = await Promise.race([sink.idle().then(() => true), deadline]);
    clearTimeout(timer);
    if (!flushed) log(`stop: Events still pending after ${deadlineMs} ms are dropped`);
  }
  await sink.close?.();
}

export async function startAgent(config: AgentConfig, overrides: AgentOverrides = {}): Promise<RunningAgent> {
  const log = overrides.log ?? ((line: string) => console.log(`${new Date().toISOString()} ${line}`));
  const startedAt = new Date().toISOString();
  const apiAccess = new ApiAccess();
  const kubeOptions = { kubeconfig: config.kubeconfig, nodeName: config.nodeName, log, access: apiAccess };
  const events =
    overrides.events ?? (config.podsDir ? null : await openKubernetesEvents(kubeOptions)) ?? createLogEventSink(log);

  const verdict = await (overrides.probe ?? defaultProbe)();
  const manager = ManagerSwitch.atStart(config.enabled, verdict.edt);

  // The EDT datapath is opened when it can enforce, or when disabled by configuration on a kernel that can
  // (to remove what an earlier run enforced). On a kernel without EDT nothing can have been enforced.
  const openDatapath =
    overrides.openDatapath ??
    (() => openEdt({ bpffsDir: config.bpffsDir, stateDir: config.stateDir, horizonNs: config.horizonMs * 1e6, flowIsolation: config.flowIsolation }));
  let datapath: Datapath | null = null;
  if (overrides.datapath !== undefined) datapath = overrides.datapath;
  else if (verdict.edt.available) {
    try {
      datapath = await openDatapath();
    } catch (error) {
      const reason = `open the EDT datapath: ${(error as Error).message}`;
      manager.disableForNode(reason);
      log(`datapath: ${reason}`);
    }
  }
  // What enforces limits: the datapath, with BBR set in each limited Pod when configured (at start and after a re-probe).
  const enforcingWith = (opened: Datapath): Datapath => (config.bbr ? withBbr(opened, log) : opened);
  if (datapath && manager.enabled) datapath = enforcingWith(datapath);
  const lateDatapath = new LateDatapath(datapath);
  log(manager.enabled ? `bandwidth manager: enabled (datapath ${datapath?.kind})` : `bandwidth manager: disabled (${manager.disabledReason})`);

  const devices = config.devices.length > 0 ? config.devices : await (overrides.devices ?? defaultRouteDevices)();
  let reconciler: Reconciler | null = null;
  const rows = (): PodStatusRow[] => reconciler?.rows() ?? [];
  const ranges = new RangeBook();
  ranges.set("configured (--internal-cidrs)", config.internalCidrs);
  const budgets = new BudgetBook((report) =>
    log(`budget ${report.namespace}/${report.name} is invalid: ${report.problems.join("; ")}${report.keptLastGood ? "; its last valid version stays in force" : ""}`),
  );
  const metrics = createMetrics(rows, manager, {
    budgets: () => reconciler?.budgetRows() ?? [],
    invalidBudgets: () => budgets.problems().length,
    internalRanges: () => ranges.ranges().length,
  });

  let clusterBudgets: ClusterBudgets | null = null;
  reconciler = new Reconciler({
    datapath: lateDatapath,
    shareOf: (budget, direction) => (clusterBudgets ?? { shareOf: perNodeShare }).shareOf(budget, direction),
    manager,
    resolver: overrides.resolver ?? new IpNetnsResolver({ netnsDir: config.netnsDir, inspector: new NativeInspector(), log }),
    events,
    log,
    maxBackoffMs: config.resyncIntervalMs,
    observer: {
      invalidAnnotation: (pod, direction) => metrics.invalidAnnotations.inc({ namespace: pod.namespace, pod: pod.name, direction }),
      reconcileError: () => metrics.reconcileErrors.inc(),
    },
  });
  reconciler.setInternalRanges(ranges.prefixes());
  const loop = new ReconcileLoop(reconciler, { resyncIntervalMs: config.resyncIntervalMs, log });
  // Not ready until a pass has run in the current state (after a re-probe enabled: the first enforcing pass).
  let enabling = false;
  const ready = () => (reconciler?.isSynced ?? false) && loop.passes > 0 && !enabling;

  const status = (): StatusReport => {
    const counts: Record<string, number> = {};
    for (const row of rows()) counts[row.state] = (counts[row.state] ?? 0) + 1;
    const { enabled, disabledReason: reason } = manager;
    return {
      bandwidthManager: {
        enabled,
        reason,
        congestionControl: config.bbr ? "BBR" : "CUBIC",
        devices,
        line: bandwidthManagerLine({ enabled, reason, bbr: config.bbr, devices }),
      },
      nodeName: config.nodeName,
      podSource: config.podsDir ? `pods-dir:${config.podsDir}` : overrides.podSource ? "injected" : "kubernetes",
      datapath: lateDatapath.current?.kind ?? null,
      ready: ready(),
      startedAt,
      rows: counts,
      budgets: reconciler?.budgetRows().length ?? 0,
      invalidBudgets: budgets.problems().length,
      internalRanges: ranges.ranges().length,
      kubernetesApi: apiAccess.problems(),
      ...(clusterBudgets === null ? {} : { clusterBudgets: clusterBudgets.report() }),
    };
  };
  const budgetsReport = (): BudgetsReport => ({ budgets: reconciler?.budgetRows() ?? [], problems: budgets.problems() });
  const rangesReport = (): RangesReport => ({ ranges: ranges.ranges(), error: reconciler?.internalRangesError ?? null });

  const cleanups: Array<() => Promise<void>> = [];
  // Runs the cleanups once, last added first; a second stop() waits for the first instead of closing again.
  let stopped: Promise<void> | null = null;
  const stop = (): Promise<void> =>
    (stopped ??= (async () => {
      for (const cleanup of [...cleanups].reverse()) await cleanup().catch((error: unknown) => log(`stop: ${(error as Error).message}`));
    })());
  try {
    // Closed last on stop (cleanups run in reverse): Events emitted while stopping still get written.
    if (!overrides.events) cleanups.push(() => flushAndCloseEvents(events, overrides.eventFlushDeadlineMs ?? EVENT_FLUSH_DEADLINE_MS, log));
    cleanups.push(() => lateDatapath.close());
    cleanups.push(() => loop.stop());
    const statusServer: StatusServer = await startStatusServer({
      socketPath: config.socketPath, status, limits: () => ({ rows: rows() }), budgets: budgetsReport, ranges: rangesReport,
    });
    cleanups.push(() => statusServer.close());
    log(`status API on ${config.socketPath}`);
    let metricsServer: MetricsServer | null = null;
    if (config.metricsAddress !== "") {
      metricsServer = await startMetricsServer({ address: config.metricsAddress, registry: metrics.registry, ready });
      const started = metricsServer;
      cleanups.push(() => started.close());
      log(`metrics on ${config.metricsAddress} (/metrics, /healthz, /readyz)`);
    }
    const manifests = config.podsDir && !overrides.podSource ? createPodsDirSource({ dir: config.podsDir, nodeName: config.nodeName, log }) : null;
    const podSource = overrides.podSource ?? manifests ?? (await openInformer(kubeOptions));
    cleanups.push(() => podSource.stop());
    const kubernetes = !config.podsDir && !overrides.podSource;
    if (kubernetes && overrides.clusterBudgets !== false) {
      const opened = await openClusterBudgets({
        ...kubeOptions, candidate: config.allocatorCandidate, leaseNamespace: await leaseNamespaceOf(config.leaseNamespace),
        datapath: () => (manager.enabled ? lateDatapath.current : null), budgets: () => budgets.budgets(),
        timelines: () => reconciler?.budgetRows() ?? [], sharesChanged: () => void loop.trigger(),
      });
      clusterBudgets = opened;
      cleanups.push(() => opened.stop());
    }
    await startClusterSources({
      config, overrides, manifests, kubeOptions, events, budgets, ranges, reconciler, loop, cleanups,
      onBudgetEvent: (event) => clusterBudgets?.observeBudgets(event),
    });
    await clusterBudgets?.start();
    await podSource.start((event) => {
      reconciler?.applyEvent(event);
      void loop.trigger();
    });
    log(`Pods: ${config.podsDir ? `watching ${config.podsDir}` : "Kubernetes"} (node ${config.nodeName}), first sync received`);
    loop.start();
    await loop.trigger();
    const reprobeEveryMs = overrides.reprobeIntervalMs ?? reprobeIntervalMs(config.resyncIntervalMs);
    const reprober = new KernelReprober(
      {
        probe: overrides.probe ?? defaultProbe,
        open: async () => lateDatapath.current ?? openDatapath(),
        discard: async (opened) => {
          if (opened !== lateDatapath.current) await opened.close();
        },
        enable: (opened) => {
          lateDatapath.current = enforcingWith(opened);
          manager.enable();
          log(`bandwidth manager: enabled after a re-probe, the kernel can do EDT now (datapath ${opened.kind})`);
          enabling = true;
          void loop.trigger().finally(() => (enabling = false));
        },
        stillDisabled: (reason) => {
          if (reason === manager.disabledReason) return;
          log(`bandwidth manager: still disabled, now because: ${reason}`);
          manager.disableForNode(reason);
          void loop.trigger();
        },
        log,
      },
      reprobeEveryMs,
    );
    const kernelDisabled = manager.disabledByNode;
    if (kernelDisabled) {
      reprober.start();
      cleanups.push(async () => reprober.stop()); // runs first on stop
      log(`bandwidth manager: probing the kernel again every ${reprobeEveryMs / 1000} s`);
    }
    return {
      status,
      rows,
      idle: () => loop.idle(),
      resync: () => loop.trigger({ verifyAll: true }),
      reprobe: () => (kernelDisabled && !manager.enabled ? reprober.attempt() : Promise.resolve(false)),
      metricsPort: metricsServer?.port ?? null,
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}
