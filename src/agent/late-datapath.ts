/**
 * A Datapath whose implementation arrives later: the reconciler is built once, at start-up, while the
 * agent may only be able to open the EDT datapath minutes after (the node was fixed; see reprobe.ts).
 * With nothing open it lists nothing — what a kernel without EDT can enforce — and refuses writes, which
 * the reconciler never asks for while disabled.
 */
import {
  DatapathError, type AppliedBudget, type AppliedLimit, type BudgetShare, type Datapath, type Direction, type EnsureResult, type LimitSpec,
} from "../datapath/datapath.js";

export class LateDatapath implements Datapath {
  constructor(public current: Datapath | null = null) {}

  get kind(): string {
    return this.current?.kind ?? "none";
  }

  ensureLimit(spec: LimitSpec): Promise<EnsureResult> {
    return this.open().ensureLimit(spec);
  }

  removeLimit(podKey: string, direction: Direction): Promise<void> {
    return this.open().removeLimit(podKey, direction);
  }

  async listLimits(): Promise<AppliedLimit[]> {
    return this.current ? this.current.listLimits() : [];
  }

  ensureBudget(share: BudgetShare): Promise<{ slot: number }> {
    return this.open().ensureBudget(share);
  }

  removeBudget(key: string, direction: Direction): Promise<void> {
    return this.open().removeBudget(key, direction);
  }

  async listBudgets(): Promise<AppliedBudget[]> {
    return this.current ? this.current.listBudgets() : [];
  }

  setInternalRanges(prefixes: readonly string[]): Promise<void> {
    return this.open().setInternalRanges(prefixes);
  }

  async internalRanges(): Promise<string[]> {
    return this.current ? this.current.internalRanges() : [];
  }

  async close(): Promise<void> {
    await this.current?.close();
  }

  private open(): Datapath {
    if (!this.current) throw new DatapathError("KERNEL_REFUSED", "no datapath is open: the bandwidth manager is disabled until the kernel can do EDT");
    return this.current;
  }
}
