/**
 * The agent's sources besides Pods: BandwidthBudgets (into the BudgetBook; in Kubernetes mode their status
 * written back) and inside-the-cluster ranges (into the RangeBook). Where they come from:
 * - an override (tests, the benchmark) wins;
 * - with --pods-dir: the directory's budgets, no range source (--internal-cidrs says it all);
 * - with the Kubernetes Pod source: the BandwidthBudget, Node and ServiceCIDR informers (seams.ts).
 *
 * The first Pod pass should already be right, so the Pod source starts after these have listed, but never
 * waits for them long: an API that fails (a CRD not installed, a verb not granted) or is slow costs at most
 * `firstListWaitMs`, and what arrives later is applied then. Every change reaches the reconciler and
 * triggers a pass.
 */
import type { ReconcileLoop } from "../bandwidth/loop.js";
import type { Reconciler } from "../bandwidth/reconciler.js";
import type { BudgetObject } from "../budgets/budget.js";
import type { BudgetBook } from "../budgets/budget-book.js";
import type { AgentConfig } from "../config/config.js";
import type { BudgetStatusWriter } from "../kube/budget-status-writer.js";
import type { EventSink } from "../kube/events.js";
import type { ObjectEvent, ObjectSource, PodSource } from "../kube/pod.js";
import type { RangeBook } from "../scope/range-book.js";
import type { RangeSource } from "../scope/range-source.js";
import { openBudgetSource, openBudgetStatusWriter, openRangeSources, type KubeOptions } from "./seams.js";

/** Bounded: the first Pod pass waits this long at most for budgets and ranges. */
export const FIRST_LIST_WAIT_MS = 5000;

export interface ClusterSourcesInput {
  config: Pick<AgentConfig, "podsDir">;
  overrides: { podSource?: PodSource; budgetSource?: ObjectSource<BudgetObject>; rangeSources?: RangeSource[] };
  /** The pods-dir source, whose `budgets` come from the same files. */
  manifests: { budgets: ObjectSource<BudgetObject> } | null;
  kubeOptions: KubeOptions;
  events: EventSink;
  budgets: BudgetBook;
  ranges: RangeBook;
  reconciler: Reconciler;
  loop: ReconcileLoop;
  cleanups: Array<() => Promise<void>>;
  firstListWaitMs?: number;
  /** Also told every budget event (ClusterWide budgets read the floor in use from the status). */
  onBudgetEvent?: (event: ObjectEvent<BudgetObject>) => void;
}

export async function startClusterSources(input: ClusterSourcesInput): Promise<void> {
  const { config, overrides, kubeOptions, budgets, ranges, reconciler, loop, cleanups } = input;
  const { log } = kubeOptions;
  const kubernetes = !config.podsDir && !overrides.podSource;
  const budgetSource = overrides.budgetSource ?? input.manifests?.budgets ?? (kubernetes ? await openBudgetSource(kubeOptions) : null);
  const writer: BudgetStatusWriter | null = kubernetes && !overrides.budgetSource ? await openBudgetStatusWriter({ ...kubeOptions, events: input.events }) : null;
  const rangeSources = overrides.rangeSources ?? (kubernetes ? await openRangeSources(kubeOptions) : []);

  const starting: Array<Promise<void>> = [];
  const started = (what: string, start: Promise<void>) =>
    starting.push(start.catch((error: unknown) => log(`${what}: ${(error as Error).message}; continuing without it`)));
  if (budgetSource) {
    cleanups.push(() => budgetSource.stop());
    if (writer) cleanups.push(() => writer.close()); // stopped before the source: no write after its last event
    started("budgets", budgetSource.start((event) => {
      budgets.apply(event);
      reconciler.setBudgets(budgets.budgets());
      void loop.trigger();
      writer?.apply(event);
      input.onBudgetEvent?.(event);
    }));
  }
  for (const source of rangeSources) {
    cleanups.push(() => source.stop());
    started("inside-the-cluster ranges", source.start((name, prefixes) => {
      try {
        ranges.set(name, prefixes);
      } catch (error) {
        log(`ranges from ${name}: ${(error as Error).message}`);
        return;
      }
      reconciler.setInternalRanges(ranges.prefixes());
      void loop.trigger();
    }));
  }
  const waitMs = input.firstListWaitMs ?? FIRST_LIST_WAIT_MS;
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), waitMs)));
  const listed = await Promise.race([Promise.all(starting).then(() => true), deadline]);
  clearTimeout(timer);
  if (!listed) log(`budgets and ranges: not all listed within ${waitMs} ms; Pods start now, the rest applies when it arrives`);
}
