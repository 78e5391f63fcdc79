/**
 * The budgets the agent knows, from a source's events (ObjectEvent<BudgetObject>): each parsed, a bad one
 * reported once per content (log, and to whoever writes its status and Event) and, if it was valid before,
 * kept in force in its last valid version — a typo in a budget never removes a limit that was working.
 */
import type { ObjectEvent } from "../kube/pod.js";
import { parseBudget, type Budget, type BudgetObject } from "./budget.js";
import { lastValidBudgetObject, type BudgetObjectWithStatus } from "./budget-status.js";

interface Entry {
  object: BudgetObject;
  /** The valid version in force (this one, or the last valid one). */
  inForce: Budget | null;
  problems: string[];
}

export interface BudgetProblemReport {
  namespace: string;
  name: string;
  problems: string[];
  keptLastGood: boolean;
}

const keyOf = (object: BudgetObject): string => `${object.metadata?.namespace ?? ""}/${object.metadata?.name ?? ""}/${object.metadata?.uid ?? ""}`;

export class BudgetBook {
  private readonly entries = new Map<string, Entry>();
  private readonly reported = new Map<string, string>();

  constructor(private readonly onInvalid: (report: BudgetProblemReport) => void) {}

  apply(event: ObjectEvent<BudgetObject>): void {
    if (event.type === "sync") {
      const keys = new Set(event.objects.map(keyOf));
      for (const key of [...this.entries.keys()]) if (!keys.has(key)) this.entries.delete(key);
      for (const object of event.objects) this.upsert(object);
      return;
    }
    if (event.type === "delete") this.entries.delete(keyOf(event.object));
    else this.upsert(event.object);
  }

  /** The budgets in force, by key. */
  budgets(): Budget[] {
    return [...this.entries.values()].flatMap((entry) => (entry.inForce === null ? [] : [entry.inForce]));
  }

  problems(): BudgetProblemReport[] {
    return [...this.entries.values()]
      .filter((entry) => entry.problems.length > 0)
      .map((entry) => ({ namespace: entry.object.metadata?.namespace ?? "", name: entry.object.metadata?.name ?? "", problems: entry.problems, keptLastGood: entry.inForce !== null }));
  }

  private upsert(object: BudgetObject): void {
    const key = keyOf(object);
    const parsed = parseBudget(object);
    const before = this.entries.get(key);
    // Invalid: the version this agent saw valid, else the one the server recorded as accepted (an agent
    // started after the bad edit enforces what every other node does).
    const recorded = parsed.budget === null ? lastValidBudgetObject(object as BudgetObjectWithStatus) : null;
    const inForce = parsed.budget ?? before?.inForce ?? (recorded === null ? null : parseBudget(recorded).budget);
    this.entries.set(key, { object, inForce, problems: parsed.problems });
    if (parsed.problems.length === 0) {
      this.reported.delete(key);
      return;
    }
    const fingerprint = JSON.stringify(object.spec ?? {});
    if (this.reported.get(key) === fingerprint) return;
    this.reported.set(key, fingerprint);
    this.onInvalid({ namespace: object.metadata?.namespace ?? "", name: object.metadata?.name ?? "", problems: parsed.problems, keptLastGood: inForce !== null });
  }
}
