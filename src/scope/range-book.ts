/**
 * What the agent believes is inside the cluster (what does not cross the uplink), by source: the operator's
 * configured ranges (the cluster's Pod and Service ranges where the API does not tell, the data center's
 * own networks), and what the Kubernetes API says (nodes' podCIDRs and InternalIPs, ServiceCIDRs). Pure:
 * the prefixes with every source that gave them.
 */
import { normalizePrefixes } from "../datapath/validate.js";

export type RangeSource = string;

export class RangeBook {
  private readonly bySource = new Map<RangeSource, string[]>();

  /** Replaces what `source` says is inside (prefixes or addresses; an address becomes a /32 or /128). */
  set(source: RangeSource, prefixes: readonly string[]): void {
    const normalized = normalizePrefixes(prefixes.map((prefix) => (prefix.includes("/") ? prefix : `${prefix}/${prefix.includes(":") ? 128 : 32}`)));
    if (normalized.length === 0) this.bySource.delete(source);
    else this.bySource.set(source, normalized);
  }

  /** Every prefix once, sorted, with its sources. */
  ranges(): Array<{ prefix: string; sources: RangeSource[] }> {
    const sources = new Map<string, RangeSource[]>();
    for (const [source, prefixes] of this.bySource) for (const prefix of prefixes) sources.set(prefix, [...(sources.get(prefix) ?? []), source]);
    return [...sources].sort(([a], [b]) => a.localeCompare(b)).map(([prefix, from]) => ({ prefix, sources: from.sort() }));
  }

  prefixes(): string[] {
    return this.ranges().map((range) => range.prefix);
  }
}
