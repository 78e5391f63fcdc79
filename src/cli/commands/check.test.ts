/**
 * `pacer check` on the real host kernel (root): the JSON contract, the exit code, the fq verdict this machine
 * must give (its kernel is built without CONFIG_NET_SCH_FQ), speed, and cleanup — no namespace or link is left,
 * also when a probe cannot run. On a kernel with fq the opposite verdict is checked by check.fq.test.ts (run
 * inside the test kernel by lab/in-test-kernel.test.ts).
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { gunzipSync } from "node:zlib";
import { probeEdt, type ProbeReport } from "../../probe/index.js";
import { commandMissing, requirePrerequisites, rootMissing } from "../../testing/prerequisites.js";

const REPOSITORY = fileURLToPath(new URL("../../../../", import.meta.url));
const PACER = join(REPOSITORY, "bin/pacer.js");

const hostPrerequisites = () => requirePrerequisites([rootMissing(), commandMissing("ip", "iproute2"), commandMissing("tc", "iproute2")]);

/** The fq answer from the kernel's own build config, independent of the probe; null when unreadable. */
function configSaysFq(): boolean | null {
  try {
    const config = gunzipSync(readFileSync("/proc/config.gz")).toString("utf8");
    return /^CONFIG_NET_SCH_FQ=[ym]$/m.test(config);
  } catch {
    return null;
  }
}

const lines = (command: string, args: string[]): string[] =>
  spawnSync(command, args, { encoding: "utf8" }).stdout.split("\n").filter((line) => line.length > 0);
/** Host links with the probe's prefix (others' tests may add links of their own meanwhile). */
const hostProbeLinks = (): string[] =>
  lines("ip", ["-o", "link", "show"])
    .map((line) => line.split(":")[1]?.trim() ?? "")
    .filter((name) => name.startsWith("pp"));
const namespacesOf = (pid: number | undefined): string[] => lines("ip", ["netns", "list"]).filter((name) => name.startsWith(`pp-${pid}-`));

function runPacerCheck(args: string[], env: NodeJS.ProcessEnv = process.env) {
  const linksBefore = hostProbeLinks();
  const run = spawnSync(process.execPath, [PACER, "check", ...args], { encoding: "utf8", timeout: 30_000, env });
  assert.equal(run.error, undefined, `spawn pacer check: ${run.error?.message}`);
  assert.deepEqual(namespacesOf(run.pid), [], "the probe's throwaway namespace is gone");
  assert.deepEqual(hostProbeLinks(), linksBefore, "no probe link appeared on the host");
  return run;
}

function assertReportShape(report: ProbeReport): void {
  assert.deepEqual(Object.keys(report), ["edt", "checks"]);
  assert.deepEqual(Object.keys(report.edt), ["available", "reason"]);
  assert.equal(typeof report.edt.available, "boolean");
  assert.equal(report.edt.available ? report.edt.reason : typeof report.edt.reason, report.edt.available ? null : "string");
  assert.ok(report.checks.length >= 10);
  for (const check of report.checks) {
    // name, ok, detail always; then `since` (the release and commit a feature arrived in) and `degraded`
    // (not OK, but pacer works on without it) where they apply.
    assert.deepEqual(Object.keys(check).slice(0, 3), ["name", "ok", "detail"]);
    for (const key of Object.keys(check).slice(3)) assert.ok(["since", "degraded"].includes(key), `unexpected key ${key}`);
    if (check.since !== undefined) assert.match(check.since, /^\d+\.\d+ \([0-9a-f]{12}\)$/);
    assert.equal(typeof check.name, "string");
    assert.equal(typeof check.ok, "boolean");
    assert.ok(check.detail.length > 0, `${check.name} has a detail`);
  }
}

describe("pacer check on the host kernel", { skip: hostPrerequisites() }, () => {
  it("--json prints the contract, exits by the verdict, and blames fq on a kernel without it", () => {
    const run = runPacerCheck(["--json"]);
    const report = JSON.parse(run.stdout) as ProbeReport;
    assertReportShape(report);
    assert.equal(run.status, report.edt.available ? 0 : 1);
    const fqCheck = report.checks.find((check) => check.name === "fq qdisc");
    const fqBuiltIn = configSaysFq();
    if (fqBuiltIn === false) {
      assert.equal(run.status, 1);
      assert.equal(fqCheck?.ok, false);
      assert.match(report.edt.reason ?? "", /^fq qdisc missing: .*CONFIG_NET_SCH_FQ/);
    } else if (fqBuiltIn === true) {
      assert.equal(fqCheck?.ok, true, fqCheck?.detail);
    }
    // What this kernel can do, the probe must see: the clsact/cls_bpf/bpf path works on every test machine.
    for (const name of ["bpf() syscall", "clsact qdisc", "cls_bpf tc filter", "tc BPF sets skb->tstamp"]) {
      assert.equal(report.checks.find((check) => check.name === name)?.ok, true, name);
    }
  });

  it("prints one OK/MISSING line per check and the verdict last", () => {
    const run = runPacerCheck([]);
    const printed = run.stdout.trimEnd().split("\n");
    const verdict = printed.pop() ?? "";
    assert.match(verdict, /^EDT: (available|unavailable — .+)$/);
    assert.equal(run.status, verdict === "EDT: available" ? 0 : 1);
    for (const line of printed) assert.match(line, /^[^:]+: (OK|MISSING) — .+$/);
    if (configSaysFq() === false) assert.match(verdict, /^EDT: unavailable — fq qdisc missing/);
  });

  it("rejects unknown options with exit 2", () => {
    const run = spawnSync(process.execPath, [PACER, "check", "--jsn"], { encoding: "utf8" });
    assert.equal(run.status, 2);
    assert.match(run.stderr, /unknown option --jsn/);
  });

  it("takes well under a second in-process and removes its namespace", async () => {
    const started = performance.now();
    const report = await probeEdt();
    const elapsedMs = performance.now() - started;
    assert.ok(elapsedMs < 1000, `probeEdt took ${elapsedMs.toFixed(0)} ms`);
    assert.equal(report.checks.find((check) => check.name === "clsact qdisc")?.ok, true);
    assert.deepEqual(namespacesOf(process.pid), []);
  });

  it("cleans up and says 'could not probe' when tc is missing half-way", () => {
    const pathWithoutTc = mkdtempSync(join(tmpdir(), "pp-path-"));
    try {
      const ip = spawnSync("sh", ["-c", "command -v ip"], { encoding: "utf8" }).stdout.trim();
      symlinkSync(ip, join(pathWithoutTc, "ip"));
      const run = runPacerCheck(["--json"], { ...process.env, PATH: pathWithoutTc });
      const report = JSON.parse(run.stdout) as ProbeReport;
      assert.equal(run.status, 1);
      assert.match(report.edt.reason ?? "", /^could not probe clsact qdisc: tc not found/);
      assert.equal(report.checks.find((check) => check.name === "fq qdisc")?.detail, "could not probe: tc not found (install it)");
    } finally {
      rmSync(pathWithoutTc, { recursive: true, force: true });
    }
  });
});
