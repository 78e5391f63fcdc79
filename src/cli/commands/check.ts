/**
 * `pacer check [--json]`: probes this kernel for what EDT pacing needs (docs/design.md, "The operator's flow") and says, per
 * requirement, OK or MISSING and what to do; then "EDT: available" or "EDT: unavailable — <reason>".
 * Exit 0 when EDT is available, 1 when not, 2 on a usage error. `--json` prints exactly
 * {"edt": {"available", "reason"}, "checks": [{"name", "ok", "detail"}]}.
 */
import { formatReport, probeEdt } from "../../probe/index.js";

const HELP = `usage: pacer check [--json]

Probes the running kernel (in a throwaway network namespace; the host's interfaces are not touched) for
what EDT bandwidth pacing needs, prints one line per requirement and a verdict.

  --json   print {"edt": {"available": bool, "reason": string|null}, "checks": [{"name", "ok", "detail"}]}

Exit status: 0 EDT available, 1 EDT unavailable, 2 usage error. Run as root.`;

export async function run(args: string[]): Promise<number> {
  if (args.includes("--help") || args.includes("-h")) {
    console.log(HELP);
    return 0;
  }
  const unknown = args.filter((arg) => arg !== "--json");
  if (unknown.length > 0) {
    console.error(`pacer check: unknown option ${unknown.join(" ")}\n\n${HELP}`);
    return 2;
  }
  const report = await probeEdt();
  console.log(args.includes("--json") ? JSON.stringify(report) : formatReport(report));
  return report.edt.available ? 0 : 1;
}
