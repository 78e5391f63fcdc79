/**
 * The inside-the-cluster prefixes the reconciler keeps in the datapath (what outside-cluster limits and
 * budgets leave uncharged): written when they change or on a drift check; a failed write is kept as the
 * reason `pacer status` shows, and retried by the next pass.
 */
import type { Datapath } from "../datapath/datapath.js";

export class InternalRanges {
  private wanted: string[] = [];
  /** The set last written ("," joined); null before the first write. */
  private applied: string | null = null;
  error: string | null = null;

  constructor(private readonly options: { datapath: Datapath | null; log(line: string): void }) {}

  set(prefixes: readonly string[]): void {
    this.wanted = [...new Set(prefixes)].sort();
  }

  async apply(verifyAll: boolean): Promise<void> {
    const wanted = this.wanted.join(",");
    if (!verifyAll && this.applied === wanted && this.error === null) return;
    try {
      await this.options.datapath?.setInternalRanges(this.wanted);
      if (this.applied !== wanted) this.options.log(`inside-the-cluster ranges: ${this.wanted.join(", ") || "none"}`);
      this.applied = wanted;
      this.error = null;
    } catch (error) {
      this.error = `set the inside-the-cluster ranges: ${(error as Error).message}`;
      this.options.log(this.error);
    }
  }
}
