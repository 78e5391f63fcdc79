/**
 * `pacer status [--json] [--socket P]`: the BandwidthManager line from the running agent, e.g.
 * `BandwidthManager: EDT with BPF [CUBIC] [eth0]` or `BandwidthManager: Disabled (<reason>)`.
 * Exit 0 enabled, 3 disabled (so scripts can tell), 1 agent unreachable, 2 usage error.
 */
import { clusterBudgetLines, kubernetesApiLines } from "../../status/api.js";
import { fetchStatus } from "../../status/client.js";
import { parseClientArgs } from "../../status/client-args.js";

const HELP = `usage: pacer status [--json] [--socket PATH]

Asks the running agent (its Unix socket, default $PACER_SOCKET or /run/pacer/pacer.sock) for its status.

Exit status: 0 enabled, 3 the bandwidth manager is disabled, 1 the agent is unreachable, 2 usage error.`;

export async function run(args: string[]): Promise<number> {
  const options = parseClientArgs(args);
  if (typeof options === "string") {
    console.error(`pacer status: ${options}\n\n${HELP}`);
    return 2;
  }
  if (options.help) {
    console.log(HELP);
    return 0;
  }
  let report;
  try {
    report = await fetchStatus(options.socketPath);
  } catch (error) {
    console.error(`pacer status: ${(error as Error).message}`);
    return 1;
  }
  if (options.json) console.log(JSON.stringify(report));
  else {
    const counts = Object.entries(report.rows).map(([state, count]) => `${count} ${state}`).join(", ");
    console.log(report.bandwidthManager.line);
    console.log(`Node: ${report.nodeName}  Pods from: ${report.podSource}  Datapath: ${report.datapath ?? "none"}  Ready: ${report.ready ? "yes" : "no"}`);
    console.log(`Limits: ${counts || "none"}`);
    const invalid = report.invalidBudgets > 0 ? ` (${report.invalidBudgets} invalid: pacer budgets says why)` : "";
    console.log(`Budgets on this node: ${report.budgets}${invalid}  Inside the cluster: ${report.internalRanges} range(s) (pacer ranges)`);
    for (const line of clusterBudgetLines(report.clusterBudgets)) console.log(line);
    for (const line of kubernetesApiLines(report.kubernetesApi)) console.log(line);
  }
  return report.bandwidthManager.enabled ? 0 : 3;
}
