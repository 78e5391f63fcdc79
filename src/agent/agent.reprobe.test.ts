/**
 * The agent turns itself on once the kernel can do EDT: a test-double probe (unavailable, then available)
 * and the in-memory datapath (FakeKernel) stand in for the kernel; the pods directory, status socket and
 * metrics server are real.
 */
import assert from "node:assert/strict";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { FakeResolver, RecordingEvents } from "../bandwidth/testing/fakes.js";
import { loadConfig, type AgentConfig } from "../config/config.js";
import { FakeDatapath, FakeKernel } from "../datapath/testing/fake.js";
import { fetchStatus } from "../status/client.js";
import { startAgent, type AgentOverrides, type RunningAgent } from "./agent.js";
import type { EdtVerdict } from "./seams.js";

const manifest = `kind: Pod
metadata:
  name: web
  namespace: lab
  annotations: { kubernetes.io/egress-bandwidth: "10M", kubernetes.io/ingress-bandwidth: "5M" }
status: { podIP: 10.9.0.3 }
`;
const NO_FQ = "fq qdisc missing: the kernel has no sch_fq (modprobe sch_fq)";
const unavailable: EdtVerdict = { edt: { available: false, reason: NO_FQ } };
const available: EdtVerdict = { edt: { available: true, reason: null } };

async function until(check: () => boolean, what: string, timeoutMs = 3000): Promise<void> {
  const started = Date.now();
  while (!check()) {
    if (Date.now() - started > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** A promise with its resolve function, to hold a probe or an open in flight. */
function gate<T>(): { promise: Promise<T>; release(value: T): void } {
  let release!: (value: T) => void;
  const promise = new Promise<T>((resolve) => (release = resolve));
  return { promise, release };
}

describe("agent re-probes the kernel while Disabled for a kernel reason", () => {
  let dir: string;
  let config: AgentConfig;
  const running: RunningAgent[] = [];
  const start = async (overrides: AgentOverrides, configChanges: Partial<AgentConfig> = {}) => {
    const agent = await startAgent({ ...config, ...configChanges }, {
      resolver: new FakeResolver(),
      events: new RecordingEvents(),
      devices: async () => ["eth0"],
      log: () => {},
      ...overrides,
    });
    running.push(agent);
    return agent;
  };

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), `pv-reprobe-${process.pid}-`));
    config = {
      ...loadConfig({ args: [], env: {} }),
      podsDir: join(dir, "pods"),
      socketPath: join(dir, "pacer.sock"),
      stateDir: join(dir, "state"),
      metricsAddress: "127.0.0.1:0",
      nodeName: "node-a",
    };
    await mkdir(config.podsDir, { recursive: true });
    await writeFile(join(config.podsDir, "web.yaml"), manifest);
  });
  after(async () => {
    for (const agent of running) await agent.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it("unavailable, then the datapath fails to open, then available: enforces without a restart", async () => {
    const kernel = new FakeKernel();
    let verdict = unavailable;
    let probes = 0;
    let opens = 0;
    const logLines: string[] = [];
    const agent = await start({
      probe: async () => (probes++, verdict),
      openDatapath: async () => {
        if (++opens === 1) throw new Error("mount bpffs at /sys/fs/bpf/pacer: permission denied");
        return new FakeDatapath(kernel);
      },
      reprobeIntervalMs: 20,
      log: (line) => logLines.push(line),
    });
    const metrics = async () => (await fetch(`http://127.0.0.1:${agent.metricsPort}/metrics`)).text();
    assert.equal((await fetchStatus(config.socketPath)).bandwidthManager.line, `BandwidthManager: Disabled (${NO_FQ})`);
    assert.match(await metrics(), /^pacer_edt_available 0$/m);
    assert.deepEqual(agent.rows().map((r) => r.state), ["notEnforced", "notEnforced"]);
    await until(() => probes >= 3, "two re-probes");
    assert.equal(agent.status().bandwidthManager.enabled, false, "still disabled while the probe says unavailable");

    verdict = available; // the operator ran `modprobe sch_fq`
    await until(() => agent.status().bandwidthManager.reason?.startsWith("open the EDT datapath:") ?? false, "the open failure as the reason");
    assert.equal(agent.status().bandwidthManager.reason, "open the EDT datapath: mount bpffs at /sys/fs/bpf/pacer: permission denied");

    await until(() => agent.status().bandwidthManager.enabled && agent.status().ready, "the agent to enable itself and be ready");
    await agent.idle();
    const status = await fetchStatus(config.socketPath);
    assert.equal(status.bandwidthManager.line, "BandwidthManager: EDT with BPF [CUBIC] [eth0]");
    assert.equal(status.datapath, "fake");
    assert.deepEqual([...kernel.entries.values()].map((e) => `${e.spec.direction} ${e.spec.bitsPerSecond}`).sort(), ["egress 10000000", "ingress 5000000"]);
    assert.deepEqual(agent.rows().map((r) => r.state), ["enforced", "enforced"]);
    assert.match(await metrics(), /^pacer_edt_available 1$/m);
    assert.equal((await fetch(`http://127.0.0.1:${agent.metricsPort}/readyz`)).status, 200);
    assert.equal(opens, 2);
    assert.equal(logLines.filter((line) => line.startsWith("bandwidth manager: enabled after a re-probe")).length, 1);

    const probesWhenEnabled = probes;
    await new Promise((resolve) => setTimeout(resolve, 100));
    assert.equal(probes, probesWhenEnabled, "no probing once enabled");
    await agent.stop();
  });

  it("disabled by configuration: never re-probes", async () => {
    let probes = 0;
    const agent = await start(
      { probe: async () => (probes++, unavailable), datapath: new FakeDatapath(new FakeKernel()), reprobeIntervalMs: 10 },
      { enabled: false, metricsAddress: "" },
    );
    await new Promise((resolve) => setTimeout(resolve, 150));
    assert.equal(probes, 1, "only the start-up probe");
    assert.equal(await agent.reprobe(), false);
    assert.equal(probes, 1);
    assert.equal(agent.status().bandwidthManager.reason, "disabled by configuration");
    await agent.stop();
  });

  it("stop() while a probe is in flight: nothing is opened or enabled afterwards", async () => {
    const held = gate<EdtVerdict>();
    let probes = 0;
    let opens = 0;
    const agent = await start(
      {
        probe: () => (++probes === 1 ? Promise.resolve(unavailable) : held.promise),
        openDatapath: async () => (opens++, new FakeDatapath(new FakeKernel())),
        reprobeIntervalMs: 3_600_000,
      },
      { metricsAddress: "" },
    );
    const probing = agent.reprobe();
    await until(() => probes === 2, "the re-probe to start");
    await agent.stop();
    held.release(available);
    assert.equal(await probing, false);
    assert.equal(opens, 0, "no datapath opened after stop()");
    assert.equal(agent.status().bandwidthManager.enabled, false);
    assert.equal(await agent.reprobe(), false, "a stopped agent does not probe");
    assert.equal(probes, 2);
  });

  it("stop() while the datapath is opening: the late datapath is closed, nothing is enabled", async () => {
    const opening = gate<FakeDatapath>();
    const late = new FakeDatapath(new FakeKernel());
    let closed = false;
    late.close = async () => void (closed = true);
    let probes = 0;
    const agent = await start(
      {
        probe: async () => (++probes === 1 ? unavailable : available),
        openDatapath: () => opening.promise,
        reprobeIntervalMs: 3_600_000,
      },
      { metricsAddress: "" },
    );
    const probing = agent.reprobe();
    await until(() => probes === 2, "the re-probe to start");
    await agent.stop();
    opening.release(late);
    assert.equal(await probing, false);
    assert.equal(closed, true, "the datapath opened after stop() is closed");
    assert.equal(agent.status().bandwidthManager.enabled, false);
    assert.equal(agent.status().datapath, null);
  });
});
