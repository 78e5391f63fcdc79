/**
 * `pacer budgets [--json] [--socket P]`: the BandwidthBudgets this node enforces (one timeline per budget and
 * direction: this node's share, the Pods charged to it, live counters), and the budgets that are invalid.
 * Exit 0, 1 agent unreachable, 2 usage error.
 */
import { fetchBudgets } from "../../status/client.js";
import { parseClientArgs } from "../../status/client-args.js";
import { formatBudgetsTable } from "../../status/tables.js";

const HELP = `usage: pacer budgets [--json] [--socket PATH]

Lists the BandwidthBudgets with selected Pods on this node: scope, mode, the budget and this node's share,
the Pods charged to it, packets, bytes and how many were held back; then every invalid budget and why.
  --json   print {"budgets": [...], "problems": [...]}

Exit status: 0 ok, 1 the agent is unreachable, 2 usage error.`;

export async function run(args: string[]): Promise<number> {
  const options = parseClientArgs(args);
  if (typeof options === "string") {
    console.error(`pacer budgets: ${options}\n\n${HELP}`);
    return 2;
  }
  if (options.help) {
    console.log(HELP);
    return 0;
  }
  try {
    const report = await fetchBudgets(options.socketPath);
    console.log(options.json ? JSON.stringify(report) : formatBudgetsTable(report));
    return 0;
  } catch (error) {
    console.error(`pacer budgets: ${(error as Error).message}`);
    return 1;
  }
}
