/**
 * A PodSource over a directory of manifests (`pacer agent --pods-dir DIR`): for nodes without a
 * Kubernetes API, the lab and the tests. fs.watch gives fast updates; a periodic rescan is the safety net
 * for events fs.watch misses (renames, editors' temp files, overlay filesystems). BandwidthBudgets in the
 * same files come out of a second source (`budgets`) fed by the same scans.
 *
 * Protocol (src/kube/pod.ts): one "sync" with every Pod of this node, then "upsert" for new or changed
 * Pods and "delete" for Pods that are gone; the same for budgets. A malformed file is logged and skipped:
 * its last good parse stays in effect, so its Pods are never deleted because of a typo.
 *
 * Manifests: YAML, several documents per file, `kind: Pod`, `kind: BandwidthBudget` or a `kind: List` of
 * them. Hand-written ones usually lack metadata.uid and namespace: namespace defaults to "default" and uid
 * to "manifest", so a key stays the same across agent restarts (adoption) and a new metadata.uid means a
 * new object.
 */
import { watch, type FSWatcher } from "node:fs";
import { mkdir, readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { parseAllDocuments } from "yaml";
import type { BudgetObject } from "../budgets/budget.js";
import { orderedPodIPs, podKeyOf, type ObjectEvent, type ObjectSource, type PodEvent, type PodInfo, type PodSource } from "./pod.js";

export interface PodsDirSourceOptions {
  dir: string;
  /** Only Pods with spec.nodeName empty or equal to this are emitted. */
  nodeName: string;
  log(line: string): void;
  /** Safety-net rescan period (default 2 s). */
  rescanIntervalMs?: number;
  /** Coalesce bursts of fs.watch events (default 30 ms). */
  debounceMs?: number;
}

const MANIFEST_FILE = /^[^.].*\.(ya?ml|json)$/;

interface FileState {
  text: string;
  pods: PodInfo[];
  budgets: BudgetObject[];
}

type Emitted<T> = Map<string, { object: T; fingerprint: string }>;

/** Events from the last emitted state to the current one: deletes, then upserts of what changed (pure). */
function changes<T>(emitted: Emitted<T>, current: Emitted<T>): Array<{ type: "upsert" | "delete"; object: T }> {
  const events: Array<{ type: "upsert" | "delete"; object: T }> = [];
  for (const [key, entry] of emitted) if (!current.has(key)) events.push({ type: "delete", object: entry.object });
  for (const [key, entry] of current) if (emitted.get(key)?.fingerprint !== entry.fingerprint) events.push({ type: "upsert", object: entry.object });
  return events;
}

const budgetKeyOf = (budget: BudgetObject): string => `${budget.metadata?.namespace ?? ""}/${budget.metadata?.name ?? ""}/${budget.metadata?.uid ?? ""}`;

export type PodsDirSource = PodSource & { readonly budgets: ObjectSource<BudgetObject> };

export function createPodsDirSource(options: PodsDirSourceOptions): PodsDirSource {
  const files = new Map<string, FileState>();
  const badText = new Map<string, string>();
  let emitted: Emitted<PodInfo> = new Map();
  let emittedBudgets: Emitted<BudgetObject> = new Map();
  let onEvent: ((event: PodEvent) => void) | null = null;
  let onBudget: ((event: ObjectEvent<BudgetObject>) => void) | null = null;
  let watcher: FSWatcher | null = null;
  let rescanTimer: NodeJS.Timeout | null = null;
  let debounceTimer: NodeJS.Timeout | null = null;
  let scanning: Promise<void> | null = null;
  let again = false;
  let stopped = false;

  async function readDirectory(): Promise<void> {
    let names: string[];
    try {
      names = (await readdir(options.dir)).filter((name) => MANIFEST_FILE.test(name));
    } catch (error) {
      options.log(`pods-dir: read ${options.dir}: ${(error as Error).message}; keeping the Pods read before`);
      return;
    }
    for (const name of [...files.keys()]) if (!names.includes(name)) files.delete(name);
    for (const name of names) {
      let text: string;
      try {
        text = await readFile(join(options.dir, name), "utf8");
      } catch {
        files.delete(name); // removed between readdir and read
        continue;
      }
      if (files.get(name)?.text === text) continue;
      try {
        files.set(name, { text, ...objectsFromManifestText(text) });
        badText.delete(name);
      } catch (error) {
        if (badText.get(name) !== text) {
          badText.set(name, text);
          const kept = files.get(name)?.pods.length ?? 0;
          options.log(`pods-dir: skipping malformed ${join(options.dir, name)}: ${(error as Error).message}; keeping its ${kept} Pod(s) from the last good read`);
        }
      }
    }
  }

  function current(): { pods: Emitted<PodInfo>; budgets: Emitted<BudgetObject> } {
    const pods: Emitted<PodInfo> = new Map();
    const budgets: Emitted<BudgetObject> = new Map();
    for (const name of [...files.keys()].sort()) {
      for (const pod of files.get(name)?.pods ?? []) {
        if (pod.nodeName !== undefined && pod.nodeName !== options.nodeName) continue;
        pods.set(podKeyOf(pod), { object: pod, fingerprint: JSON.stringify(pod) });
      }
      for (const budget of files.get(name)?.budgets ?? []) budgets.set(budgetKeyOf(budget), { object: budget, fingerprint: JSON.stringify(budget) });
    }
    return { pods, budgets };
  }

  async function scanOnce(first: boolean): Promise<void> {
    await readDirectory();
    const now = current();
    // Budgets first: a Pod that joins a budget in this scan finds the budget already there.
    if (first) {
      onBudget?.({ type: "sync", objects: [...now.budgets.values()].map((entry) => entry.object) });
      onEvent?.({ type: "sync", pods: [...now.pods.values()].map((entry) => entry.object) });
    } else {
      for (const change of changes(emittedBudgets, now.budgets)) onBudget?.(change);
      for (const change of changes(emitted, now.pods)) onEvent?.(change.type === "delete" ? { type: "delete", pod: change.object } : { type: "upsert", pod: change.object });
    }
    emitted = now.pods;
    emittedBudgets = now.budgets;
  }

  /** Serialized scans; a request during a scan runs one more scan after it. */
  function scan(): Promise<void> {
    if (scanning) {
      again = true;
      return scanning;
    }
    scanning = (async () => {
      do {
        again = false;
        await scanOnce(false);
      } while (again && !stopped);
    })()
      .catch((error: unknown) => options.log(`pods-dir: scan: ${(error as Error).message}`))
      .finally(() => {
        scanning = null;
      });
    return scanning;
  }

  function scheduleScan(): void {
    if (stopped || debounceTimer) return;
    debounceTimer = setTimeout(() => {
      debounceTimer = null;
      void scan();
    }, options.debounceMs ?? 30);
  }

  return {
    budgets: {
      // Registered before the Pods' start (the agent does), it receives the same first scan's sync.
      async start(handler) {
        onBudget = handler;
      },
      async stop() {
        onBudget = null;
      },
    },
    async start(handler) {
      onEvent = handler;
      await mkdir(options.dir, { recursive: true });
      try {
        watcher = watch(options.dir, () => scheduleScan());
        watcher.on("error", (error) => options.log(`pods-dir: watch ${options.dir}: ${error.message}; relying on the periodic rescan`));
      } catch (error) {
        options.log(`pods-dir: watch ${options.dir}: ${(error as Error).message}; relying on the periodic rescan`);
      }
      await scanOnce(true);
      rescanTimer = setInterval(() => void scan(), options.rescanIntervalMs ?? 2000);
    },
    async stop() {
      stopped = true;
      watcher?.close();
      if (rescanTimer) clearInterval(rescanTimer);
      if (debounceTimer) clearTimeout(debounceTimer);
      await scanning;
    },
  };
}

export class ManifestError extends Error {
  readonly code = "MALFORMED_MANIFEST";
  constructor(message: string) {
    super(message);
    this.name = "ManifestError";
  }
}

type Json = Record<string, unknown>;
const isObject = (value: unknown): value is Json => typeof value === "object" && value !== null && !Array.isArray(value);
const text = (value: unknown): string | undefined => (typeof value === "string" && value !== "" ? value : undefined);

/** Every Pod in the text; throws ManifestError (with the document number) on anything it can't read. */
export function podsFromManifestText(source: string): PodInfo[] {
  return objectsFromManifestText(source).pods;
}

/** Every Pod and BandwidthBudget in the text; throws ManifestError on anything it can't read. */
export function objectsFromManifestText(source: string): { pods: PodInfo[]; budgets: BudgetObject[] } {
  const pods: PodInfo[] = [];
  const budgets: BudgetObject[] = [];
  parseAllDocuments(source).forEach((document, index) => {
    const where = `document ${index + 1}`;
    const [firstError] = document.errors;
    if (firstError) throw new ManifestError(`${where}: ${firstError.message.split("\n")[0]}`);
    const value: unknown = document.toJS();
    if (value === null || value === undefined) return;
    if (!isObject(value)) throw new ManifestError(`${where}: expected a Kubernetes object (a mapping)`);
    const items = value.kind === "List" ? (Array.isArray(value.items) ? value.items : []) : [value];
    for (const item of items) {
      if (isObject(item) && item.kind === "Pod") pods.push(podInfoFromManifest(item, where));
      if (isObject(item) && item.kind === "BandwidthBudget") budgets.push(budgetFromManifest(item));
    }
  });
  return { pods, budgets };
}

/** A hand-written budget gets the defaults a Pod gets (namespace "default", uid "manifest"); the agent validates the rest. */
function budgetFromManifest(budget: Json): BudgetObject {
  const metadata = isObject(budget.metadata) ? budget.metadata : {};
  return {
    metadata: {
      name: text(metadata.name) ?? "", namespace: text(metadata.namespace) ?? "default", uid: text(metadata.uid) ?? "manifest",
      generation: typeof metadata.generation === "number" ? metadata.generation : 1,
    },
    spec: isObject(budget.spec) ? budget.spec : {},
  };
}

function podInfoFromManifest(pod: Json, where: string): PodInfo {
  const metadata = isObject(pod.metadata) ? pod.metadata : {};
  const spec = isObject(pod.spec) ? pod.spec : {};
  const status = isObject(pod.status) ? pod.status : {};
  const name = text(metadata.name);
  if (!name) throw new ManifestError(`${where}: a Pod needs metadata.name`);
  const annotations: Record<string, string> = {};
  if (metadata.annotations !== undefined && metadata.annotations !== null) {
    if (!isObject(metadata.annotations)) throw new ManifestError(`${where}: Pod ${name}: metadata.annotations must be a mapping`);
    for (const [key, value] of Object.entries(metadata.annotations)) {
      if (typeof value !== "string") {
        throw new ManifestError(`${where}: Pod ${name}: annotation ${key} must be a string (quote it: "${String(value)}")`);
      }
      annotations[key] = value;
    }
  }
  const labels: Record<string, string> = {};
  if (isObject(metadata.labels)) for (const [key, value] of Object.entries(metadata.labels)) if (typeof value === "string") labels[key] = value;
  const listed = Array.isArray(status.podIPs) ? status.podIPs.map((entry) => (isObject(entry) ? text(entry.ip) : undefined)) : [];
  return {
    uid: text(metadata.uid) ?? "manifest",
    namespace: text(metadata.namespace) ?? "default",
    name,
    nodeName: text(spec.nodeName),
    annotations,
    labels,
    podIPs: orderedPodIPs(text(status.podIP), listed),
    hostNetwork: spec.hostNetwork === true,
    resourceVersion: text(metadata.resourceVersion),
  };
}
