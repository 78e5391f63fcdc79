/**
 * The V8 flags the agent ships with, read from bin/pacer.js's shebang (`#!/usr/bin/env -S node <flags>`),
 * the one place they are set: the container runs `pacer agent` through that file, so no re-exec (which would
 * keep a second Node process, ~40 MB, alive) is needed. The benchmark re-runs itself with these flags so it
 * measures what ships.
 *
 * --max-semi-space-size=1 (MB): V8's young generation otherwise grows to 16 MB per semi-space (32 MB of new
 * space resident) while @kubernetes/client-node loads; measured in bench/results/agent.md: −33 MB RSS at
 * 1,000 Pods with no visible change in resync time or edit latency.
 */
import { readFileSync } from "node:fs";

export const PACER_BIN = new URL("../../bin/pacer.js", import.meta.url);

/** Node flags on the shebang line of `script` ([] for a plain `#!/usr/bin/env node`). */
export function nodeFlagsOfShebang(script: string): string[] {
  const firstLine = script.split("\n", 1)[0] ?? "";
  const match = /^#!\s*\S*env\s+(?:-S\s+)?node((?:\s+--?\S+)*)\s*$/.exec(firstLine);
  if (!match) throw new Error(`read node flags: unexpected shebang ${JSON.stringify(firstLine)}: expected "#!/usr/bin/env -S node <flags>"`);
  return (match[1] ?? "").trim().split(/\s+/).filter((flag) => flag !== "");
}

export const shippedNodeFlags = (): string[] => nodeFlagsOfShebang(readFileSync(PACER_BIN, "utf8"));
