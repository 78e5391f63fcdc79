/**
 * The protocol as the API server holds it, every 500 ms, for a window of the real run: per node its last
 * report (seq, demand, held back, unbounded, released, applied generation) and the allocator's answer (the
 * report seen, allocation, claim, generation, acknowledge), and what the node's agent enforces (its status
 * API: `pacer status`'s ClusterWide shares). Read-only, through the lab's admin connection and the agents'
 * sockets: what `kubectl get bandwidthnodes -o yaml` and `pacer status` would show, without a fork per read.
 * For finding out where a slow shift spends its seconds (docs/cluster-budgets.md, "The real run").
 */
import type { ApiConnection } from "../../src/kube/api/connection.js";
import { BandwidthNodeClient } from "../../src/kube/bandwidth-nodes.js";
import { allocationsOf, reportOf } from "../../src/budgets/wire.js";
import { fetchBudgets, fetchStatus } from "../../src/status/client.js";

const mbit = (bits: number | undefined) => (bits === undefined ? "-" : (bits / 1e6).toFixed(2));

/** One node's line (pure): `seq 12 d 3.10 m 1 hb unb rel g4 | seen 12 a 2.00 c 2.00 g5 ack`. */
export function traceLine(object: Parameters<typeof reportOf>[0] | null): string {
  if (object === null) return "none";
  const report = reportOf(object);
  const allocations = allocationsOf(object);
  const [entry] = report?.budgets.values() ?? [];
  const [allocation] = allocations?.allocations.values() ?? [];
  const flags = entry ? [entry.heldBack ? "hb" : "", entry.unbounded ? "unb" : "", entry.released ? "rel" : ""].filter(Boolean).join(" ") : "";
  const left = report ? `seq ${report.reportSeq} d ${mbit(entry?.demandBitsPerSecond)} m ${entry?.members ?? "-"}${flags ? ` ${flags}` : ""} g${entry?.appliedGeneration ?? "-"}` : "no report";
  const right = allocations ? `seen ${allocations.seenReportSeq} a ${mbit(allocation?.bitsPerSecond)} c ${mbit(allocation?.claimBitsPerSecond)} g${allocation?.generation ?? "-"}${allocation?.acknowledge ? " ack" : ""}` : "no status";
  return `${left} | ${right}`;
}

export class ProtocolTrace {
  private timer: NodeJS.Timeout | undefined;
  private readonly client: BandwidthNodeClient;
  readonly lines: string[] = [];

  /** `nodes`: each node's name and its agent's status socket; `admin`: the lab's admin connection. */
  constructor(admin: ApiConnection, private readonly nodes: ReadonlyArray<{ name: string; socket: string }>, private readonly now: () => number) {
    this.client = new BandwidthNodeClient(admin);
  }

  start(label: string): void {
    const client = this.client;
    const started = this.now();
    let busy = false;
    this.timer = setInterval(() => {
      if (busy) return;
      busy = true;
      const at = ((this.now() - started) / 1000).toFixed(1);
      // What the agent enforces, and its timeline's counters: held-back packets and horizon drops (the drops a
      // sender at its floor meets when TCP bursts past what the floor lets through within the horizon).
      const enforced = (socket: string) => Promise.all([fetchStatus(socket), fetchBudgets(socket)]).then(
        ([status, budgets]) => {
          const shares = (status.clusterBudgets?.shares ?? []).map((share) => mbit(share.bitsPerSecond)).join(",") || "-";
          const counters = budgets.budgets.find((row) => row.direction === "egress")?.counters;
          return `enforces ${shares}${counters ? ` delayed ${counters.delayedPackets} drops ${counters.horizonDrops}` : ""}`;
        },
        () => "agent down",
      );
      void Promise.all(this.nodes.map(({ name, socket }) => Promise.all([
        client.get(name).then(traceLine, (error: unknown) => `unreadable: ${(error as Error).message}`),
        enforced(socket),
      ]).then(([line, agent]) => `${line} | ${agent}`)))
        .then((lines) => this.lines.push(`${label} +${at}s ${lines.map((line, index) => `[${this.nodes[index]!.name}] ${line}`).join("  ")}`))
        .finally(() => (busy = false));
    }, 500);
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }
}
