/**
 * `./run demo` end to end, as the operator runs it (a child process of dist/lab/demo/main.js, what ./run demo starts): Ctrl-C in the middle
 * stops the test kernel and removes what the demo created; a run right after measures the seed's
 * experiment and writes the chart on the host. Runs in the test kernel on this host (no fq here).
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { REPO_DIR } from "./run-demo.js";
import { testKernelMissing } from "../test-kernel/index.js";
import { commandMissing, requirePrerequisites, rootMissing } from "../../src/testing/prerequisites.js";

const prerequisites = () => requirePrerequisites([
  rootMissing(), testKernelMissing(), commandMissing("iperf3", "iperf3"), commandMissing("ping", "iputils-ping"),
  commandMissing("iptables-legacy", "iptables"),
]);

interface DemoProcess { pid: number; exitCode: Promise<number | null>; stdout: () => string; stderr: () => string }

function startDemo(args: string[], cwd: string): DemoProcess {
  const child = spawn(process.execPath, [join(REPO_DIR, "dist", "lab", "demo", "main.js"), ...args], { cwd, stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stdout.setEncoding("utf8").on("data", (chunk: string) => { stdout += chunk; });
  child.stderr.setEncoding("utf8").on("data", (chunk: string) => { stderr += chunk; });
  return { pid: child.pid ?? -1, exitCode: new Promise((resolve) => child.on("close", (code) => resolve(code))), stdout: () => stdout, stderr: () => stderr };
}

/** What a demo run with this pid may leave behind on the host: its UML processes, temp dirs, `pm-` netns. */
async function leftovers(demoPid: number): Promise<string[]> {
  const found: string[] = [];
  for (const entry of await readdir("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    const cmdline = await readFile(`/proc/${entry}/cmdline`, "utf8").catch(() => "");
    if (cmdline.includes(`umid=pacer-demo-${demoPid}`)) found.push(`process ${entry}: ${cmdline.replaceAll("\0", " ").slice(0, 80)}`);
  }
  for (const entry of await readdir(tmpdir())) if (entry.startsWith(`pacer-lab-${demoPid}-`) || entry.startsWith(`pm-${demoPid}`)) found.push(`temp dir ${entry}`);
  for (const entry of await readdir("/var/run/netns").catch(() => [] as string[])) if (entry.startsWith(`pm-${demoPid}`)) found.push(`netns ${entry}`);
  return found;
}

async function waitFor(condition: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`not reached in ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe("./run demo in the test kernel", { skip: prerequisites() }, () => {
  let workDir = "";
  before(async () => { workDir = await mkdtemp(join(tmpdir(), "pacer-demo-test-")); });
  after(async () => { await rm(workDir, { recursive: true, force: true }); });

  it("Ctrl-C during the limited run stops the guest and leaves nothing behind", { timeout: 120_000 }, async () => {
    const demo = startDemo(["--seconds", "10", "--chart", join(workDir, "interrupted.svg")], workDir);
    await waitFor(() => demo.stderr().includes("limited run:"), 60_000);
    const running = await leftovers(demo.pid);
    assert.ok(running.some((item) => item.startsWith("process")), `the guest runs before the interrupt: ${running.join("; ")}`);
    const interruptedAt = Date.now();
    process.kill(demo.pid, "SIGINT");
    assert.equal(await demo.exitCode, 130, demo.stderr());
    assert.ok(Date.now() - interruptedAt < 8_000, "it stops within seconds, not after the stream");
    assert.match(demo.stderr(), /interrupted; everything it created was removed/);
    assert.deepEqual(await leftovers(demo.pid), []);
  });

  it("--json --seconds 5 right after: 10M held, unlimited far above, chart on the host, nothing left", { timeout: 180_000 }, async () => {
    const chart = join(workDir, "chart.svg");
    const demo = startDemo(["--json", "--seconds", "5", "--chart", chart], workDir);
    const exitCode = await demo.exitCode;
    const result = JSON.parse(demo.stdout()) as Record<string, unknown>;
    assert.equal(exitCode, 0, `exit ${exitCode}; problems: ${JSON.stringify(result.problems)}\n${demo.stderr()}`);
    const limit = result.limitBitsPerSec as number;
    const limited = result.limitedGoodputBitsPerSec as number;
    const unlimited = result.unlimitedGoodputBitsPerSec as number;
    assert.equal(limit, 10_000_000);
    assert.ok(limited >= 0.9 * limit && limited <= 1.0 * limit, `limited ${limited} bit/s within 0.9-1.0 of 10M`);
    assert.ok(unlimited > 5 * limit, `unlimited ${unlimited} bit/s > 5× the limit`);
    const ping = result.ping as { p50Ms: number; p99Ms: number; received: number };
    assert.ok(ping.received > 0 && Number.isFinite(ping.p99Ms), `ping under load measured: ${JSON.stringify(ping)}`);
    assert.equal(result.chart, chart);
    assert.match(String(result.status), /^BandwidthManager: EDT with BPF/);
    assert.equal((result.kernel as { testKernel: boolean }).testKernel, true);
    assert.match(demo.stderr(), /\[1\/7\] boot the test kernel/, "progress goes to stderr");
    const svg = await readFile(chart, "utf8");
    assert.match(svg, /^<svg xmlns="http:\/\/www.w3.org\/2000\/svg"/);
    assert.equal(svg.match(/<polyline class="run"/g)?.length, 2, "two runs drawn");
    assert.equal(svg.match(/<line class="limit"/g)?.length, 1, "the limit drawn");
    assert.deepEqual(await leftovers(demo.pid), []);
  });
});
