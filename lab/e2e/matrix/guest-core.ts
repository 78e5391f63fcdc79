/**
 * The core scenarios' guest side: runs inside a test kernel as root, says what the kernel is (release,
 * CPUs, JIT, BTF, `pacer check`), builds a dual-stack lab node, starts the agent, runs the core scenarios
 * and writes the kernel's matrix entry as JSON to --out.
 *
 *   node dist/lab/e2e/matrix/guest-core.js --name qemu-5.10 --seconds 10 --out $PACER_LAB_EXCHANGE/core.json [--only "egress 10M,..."]
 */
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { writeFile } from "node:fs/promises";
import { availableParallelism, release, tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { buildNode, ManifestDirectory, runTool } from "../../node/index.js";
import { AgentControl } from "../agent-control.js";
import { CORE_SCENARIOS, coreScenarios, type CoreScenario } from "./core-scenarios.js";
import type { MatrixKernel, MatrixRow } from "./matrix-rows.js";

const log = (line: string) => console.log(`[core ${new Date().toISOString().slice(11, 23)}] ${line}`);

function onlyScenarios(text: string | undefined): Set<CoreScenario> | undefined {
  if (text === undefined) return undefined;
  const names = text.split(",").map((name) => name.trim());
  const unknown = names.filter((name) => !(CORE_SCENARIOS as readonly string[]).includes(name));
  if (unknown.length > 0) throw new Error(`--only ${unknown.join(",")}: not a core scenario (${CORE_SCENARIOS.join(", ")})`);
  return new Set(names as CoreScenario[]);
}

/** What the kernel is, as the guest sees it. */
function kernelFacts(repoDir: string): Omit<MatrixKernel, "name" | "rows"> {
  const jitText = (() => { try { return readFileSync("/proc/sys/net/core/bpf_jit_enable", "utf8").trim(); } catch { return "0"; } })();
  const check = spawnSync(process.execPath, [join(repoDir, "bin", "pacer.js"), "check", "--json"], { encoding: "utf8", timeout: 120_000 });
  let edtAvailable = false;
  try {
    edtAvailable = (JSON.parse(check.stdout) as { edt?: { available?: boolean } }).edt?.available === true;
  } catch {
    log(`pacer check --json gave no report (exit ${check.status}): ${check.stderr.trim().slice(0, 500)}`);
  }
  return { release: release(), cpus: availableParallelism(), jit: jitText === "1" || jitText === "2", btf: existsSync("/sys/kernel/btf/vmlinux"), edtAvailable };
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: { name: { type: "string" }, seconds: { type: "string", default: "10" }, out: { type: "string" }, repo: { type: "string", default: process.cwd() }, only: { type: "string" } },
  });
  const repoDir = values.repo ?? process.cwd();
  const entry: MatrixKernel = { name: values.name ?? release(), ...kernelFacts(repoDir), rows: [] };
  log(`kernel ${entry.release}: ${entry.cpus} CPUs, JIT ${entry.jit}, BTF ${entry.btf}, EDT ${entry.edtAvailable ? "available" : "unavailable"}`);
  const save = () => (values.out === undefined ? Promise.resolve() : writeFile(values.out, `${JSON.stringify(entry, null, 2)}\n`));
  const prefix = `pc-${process.pid}`;
  const started = performance.now();
  const node = await buildNode({ prefix, stateDir: join(tmpdir(), `${prefix}-node`), ipv6: true });
  log(`dual-stack node built in ${(performance.now() - started).toFixed(0)} ms`);
  const bpffsDir = `/sys/fs/bpf/pacer-core-${process.pid}`;
  const nodeName = "pacer-lab-node";
  const control = new AgentControl({ repoDir, nodeNetns: node.netns, nodeName, workDir: join(tmpdir(), `${prefix}-agent`), bpffsDir, onLog: (line) => log(`agent: ${line}`) });
  try {
    log(`agent ready in ${(await control.start()).toFixed(0)} ms`);
    const only = onlyScenarios(values.only);
    const manifests = new ManifestDirectory(control.agent.podsDir);
    const seconds = Number.parseInt(values.seconds ?? "10", 10);
    for await (const row of coreScenarios({ node, control, manifests, nodeName, bpffsDir, seconds, cpus: entry.cpus, log, ...(only === undefined ? {} : { only }) })) {
      entry.rows.push(row);
      log(describe(row));
      await save();
    }
  } finally {
    await control.stop();
    await node.destroy();
    await runTool("rm", ["-rf", bpffsDir], { allowFailure: true });
    await save();
  }
  return 0;
}

const describe = (row: MatrixRow): string =>
  `${row.scenario}: wireRatio ${row.wireRatio?.toFixed(4) ?? "-"}, goodputRatio ${row.goodputRatio?.toFixed(3) ?? "-"}, max 1 s ${((row.maxOneSecondBitsPerSec ?? 0) / 1e6).toFixed(2)} Mbit/s, ` +
  `CPUs ${row.cpusUsed ?? "-"}, throttled ${row.fqThrottled ?? "-"}, horizon drops ${row.horizonDrops ?? "-"}, ping p99 ${row.pingP99Ms?.toFixed(1) ?? "-"} ms`;

main().then((code) => { process.exitCode = code; }, (error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
