/**
 * `pacer ranges [--json] [--socket P]`: what the agent believes is inside the cluster (traffic to it is not
 * charged to outside-cluster limits and budgets), each prefix with where it came from.
 * Exit 0, 1 agent unreachable, 2 usage error.
 */
import { fetchRanges } from "../../status/client.js";
import { parseClientArgs } from "../../status/client-args.js";
import { formatRangesTable } from "../../status/tables.js";

const HELP = `usage: pacer ranges [--json] [--socket PATH]

Lists the prefixes the running agent counts as inside the cluster, with their sources (--internal-cidrs,
the nodes' podCIDRs and InternalIPs, ServiceCIDRs).
  --json   print {"ranges": [{"prefix", "sources"}], "error": string|null}

Exit status: 0 ok, 1 the agent is unreachable, 2 usage error.`;

export async function run(args: string[]): Promise<number> {
  const options = parseClientArgs(args);
  if (typeof options === "string") {
    console.error(`pacer ranges: ${options}\n\n${HELP}`);
    return 2;
  }
  if (options.help) {
    console.log(HELP);
    return 0;
  }
  try {
    const report = await fetchRanges(options.socketPath);
    console.log(options.json ? JSON.stringify(report) : formatRangesTable(report));
    return 0;
  } catch (error) {
    console.error(`pacer ranges: ${(error as Error).message}`);
    return 1;
  }
}
