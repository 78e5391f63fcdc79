/**
 * The bandwidth manager's on/off state, with one owner: enabled, or disabled with its reason and whether
 * by configuration. The agent writes it (start-up probe, datapath open, re-probe); the reconciler, the
 * status API and the metrics read it, so what they say cannot drift apart. Whoever changes it triggers a
 * reconcile pass (the reconciler notices the change and runs a full pass).
 */
import type { ManagerStateReader } from "../bandwidth/reconciler.js";

export const DISABLED_BY_CONFIGURATION = "disabled by configuration";

export type ManagerState =
  | { readonly enabled: true }
  | { readonly enabled: false; readonly reason: string; readonly byConfiguration: boolean };

export class ManagerSwitch implements ManagerStateReader {
  private current: ManagerState;

  constructor(initial: ManagerState) {
    this.current = initial;
  }

  /** The state a node starts in: off when configured off, else what the kernel probe says. */
  static atStart(configuredOn: boolean, edt: { available: boolean; reason: string | null }): ManagerSwitch {
    if (!configuredOn) return new ManagerSwitch({ enabled: false, reason: DISABLED_BY_CONFIGURATION, byConfiguration: true });
    if (edt.available) return new ManagerSwitch({ enabled: true });
    return new ManagerSwitch({ enabled: false, reason: edt.reason ?? "EDT is unavailable", byConfiguration: false });
  }

  get state(): ManagerState {
    return this.current;
  }

  get enabled(): boolean {
    return this.current.enabled;
  }

  get disabledReason(): string | null {
    return this.current.enabled ? null : this.current.reason;
  }

  /** Disabled because of the node (kernel, datapath), not the configuration: a re-probe may enable it. */
  get disabledByNode(): boolean {
    return !this.current.enabled && !this.current.byConfiguration;
  }

  enable(): void {
    this.set({ enabled: true });
  }

  /** Disabled for a reason of the node; a disabled-by-configuration manager stays so. */
  disableForNode(reason: string): void {
    if (!this.current.enabled && this.current.byConfiguration) return;
    this.set({ enabled: false, reason, byConfiguration: false });
  }

  private set(next: ManagerState): void {
    this.current = next;
  }
}
