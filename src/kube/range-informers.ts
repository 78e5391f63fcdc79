/**
 * The inside-the-cluster ranges the Kubernetes API knows, as RangeSources (src/scope/range-source.ts): every
 * Node (list/watch, all nodes) gives "node podCIDRs" and "node InternalIPs", the union over nodes; every
 * ServiceCIDR (networking.k8s.io/v1, GA since Kubernetes 1.33) gives "ServiceCIDR <name>". A server without
 * the ServiceCIDR API (404) is said once in the log: the Service range then has to be in --internal-cidrs.
 * A source speaks only when its ranges change (Node heartbeats change nothing), and drops entries that are
 * not prefixes, saying so.
 */
import { createObjectInformer, type ObjectSourceOptions } from "./object-informer.js";
import { nodeRanges, serviceCidrSource, serviceCidrsOf, slimNode, slimServiceCidr, splitValid, type NodeObject, type ServiceCidrObject } from "../scope/cluster-ranges.js";
import type { RangeSource } from "../scope/range-source.js";

export const NODES_PATH = "/api/v1/nodes";
export const SERVICE_CIDRS_PATH = "/apis/networking.k8s.io/v1/servicecidrs";
export const SERVICE_CIDRS_NOT_SERVED =
  "this API server does not serve ServiceCIDRs (networking.k8s.io/v1, Kubernetes 1.33 and later): list the cluster's Service range in --internal-cidrs (chart value internalCidrs)";

/** notServedBackoff: while ServiceCIDRs are not served (default 1 min doubling to 10 min: a server upgrade adds them). */
export type RangeSourceOptions = ObjectSourceOptions;

/** Calls `update` for a source only when its valid prefixes changed; logs entries that are not prefixes once. */
function publisher(update: (source: string, prefixes: readonly string[]) => void, log: (line: string) => void) {
  const published = new Map<string, string>();
  const complained = new Map<string, string>();
  return (source: string, candidates: readonly string[]): void => {
    const { valid, invalid } = splitValid(candidates);
    const said = invalid.join(",");
    if (invalid.length > 0 && complained.get(source) !== said) log(`pacer ranges: ${source}: not a prefix or address, left out: ${said}`);
    complained.set(source, said);
    const fingerprint = valid.join(",");
    if (published.get(source) === fingerprint) return;
    if (valid.length === 0 && !published.has(source)) return;
    published.set(source, fingerprint);
    update(source, valid);
  };
}

export function createNodeRangeSource(options: RangeSourceOptions): RangeSource {
  const log = options.log ?? ((line: string) => console.error(line));
  const informer = createObjectInformer<NodeObject>({
    kubeconfig: options.kubeconfig, path: NODES_PATH, resource: "nodes", what: "nodes", slim: slimNode,
    log, access: options.access, backoff: options.backoff, startReturnsOnFailure: true,
  });
  const nodes = new Map<string, NodeObject>();
  return {
    start(update) {
      const publish = publisher(update, log);
      return informer.start((event) => {
        if (event.type === "sync") {
          nodes.clear();
          for (const node of event.objects) nodes.set(node.metadata?.name ?? "", node);
        } else if (event.type === "upsert") nodes.set(event.object.metadata?.name ?? "", event.object);
        else nodes.delete(event.object.metadata?.name ?? "");
        for (const [source, prefixes] of Object.entries(nodeRanges(nodes.values()))) publish(source, prefixes);
      });
    },
    stop: () => informer.stop(),
  };
}

export function createServiceCidrRangeSource(options: RangeSourceOptions): RangeSource {
  const log = options.log ?? ((line: string) => console.error(line));
  const informer = createObjectInformer<ServiceCidrObject>({
    kubeconfig: options.kubeconfig, path: SERVICE_CIDRS_PATH, resource: "servicecidrs", apiGroup: "networking.k8s.io",
    what: "ServiceCIDRs", slim: slimServiceCidr, log, access: options.access, backoff: options.backoff, startReturnsOnFailure: true,
    notServed: { log: `pacer informer: ${SERVICE_CIDRS_NOT_SERVED}`, backoff: { initialMilliseconds: 60_000, maxMilliseconds: 600_000, ...options.notServedBackoff } },
  });
  const names = new Set<string>();
  return {
    start(update) {
      const publish = publisher(update, log);
      return informer.start((event) => {
        const objects = event.type === "sync" ? event.objects : [event.object];
        if (event.type === "sync") {
          const listed = new Set(objects.map((object) => object.metadata?.name ?? ""));
          for (const name of [...names]) {
            if (listed.has(name)) continue;
            names.delete(name);
            publish(serviceCidrSource(name), []);
          }
        }
        for (const object of objects) {
          const name = object.metadata?.name ?? "";
          if (event.type === "delete") names.delete(name);
          else names.add(name);
          publish(serviceCidrSource(name), event.type === "delete" ? [] : serviceCidrsOf(object));
        }
      });
    },
    stop: () => informer.stop(),
  };
}

export const createClusterRangeSources = (options: RangeSourceOptions): RangeSource[] => [createNodeRangeSource(options), createServiceCidrRangeSource(options)];
