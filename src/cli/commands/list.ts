/**
 * `pacer list [--json] [--socket P]`: per-Pod limits from the running agent, in the columns of Cilium's
 * `bpf bandwidth list` (IDENTITY DIRECTION PRIO BANDWIDTH (BitsPerSec)) plus Pod, state, counters, reason.
 * Exit 0, 1 agent unreachable, 2 usage error.
 */
import { formatLimitsTable } from "../../status/api.js";
import { fetchLimits } from "../../status/client.js";
import { parseClientArgs } from "../../status/client-args.js";

const HELP = `usage: pacer list [--json] [--socket PATH]

Lists the limits the running agent holds, one row per Pod and direction, with the state and why.
  --json   print {"rows": [PodStatusRow...]}

Exit status: 0 ok, 1 the agent is unreachable, 2 usage error.`;

export async function run(args: string[]): Promise<number> {
  const options = parseClientArgs(args);
  if (typeof options === "string") {
    console.error(`pacer list: ${options}\n\n${HELP}`);
    return 2;
  }
  if (options.help) {
    console.log(HELP);
    return 0;
  }
  try {
    const report = await fetchLimits(options.socketPath);
    console.log(options.json ? JSON.stringify(report) : formatLimitsTable(report.rows));
    return 0;
  } catch (error) {
    console.error(`pacer list: ${(error as Error).message}`);
    return 1;
  }
}
