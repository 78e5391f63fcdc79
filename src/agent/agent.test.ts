/**
 * The agent end to end on the host: a real pods directory, the real status socket and metrics server, the
 * real CLI; the in-memory datapath (FakeKernel) and a test-double resolver stand in for the kernel parts.
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdir, mkdtemp, rm, unlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { after, before, describe, it } from "node:test";
import { FakeResolver, RecordingEvents } from "../bandwidth/testing/fakes.js";
import { loadConfig, type AgentConfig } from "../config/config.js";
import { FakeDatapath, FakeKernel } from "../datapath/testing/fake.js";
import { fetchLimits, fetchStatus } from "../status/client.js";
import { startAgent, type RunningAgent } from "./agent.js";

const run = promisify(execFile);
const pacerBin = new URL("../../../bin/pacer.js", import.meta.url).pathname;

const manifest = (name: string, egress: string) => `kind: Pod
metadata:
  name: ${name}
  namespace: lab
  annotations: { kubernetes.io/egress-bandwidth: "${egress}", kubernetes.io/ingress-bandwidth: "5M" }
status: { podIP: 10.9.0.${name.length} }
`;

async function until(check: () => boolean, what: string, timeoutMs = 3000): Promise<number> {
  const started = Date.now();
  while (!check()) {
    if (Date.now() - started > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  return Date.now() - started;
}

describe("agent (pods dir, status socket, fake datapath)", () => {
  let dir: string;
  let config: AgentConfig;
  const kernel = new FakeKernel();
  const events = new RecordingEvents();
  let agent: RunningAgent | null = null;
  const enforced = () => [...kernel.entries.values()].map((e) => `${e.spec.attachment.podKey} ${e.spec.direction} ${e.spec.bitsPerSecond}`).sort();
  const start = (overrides: Partial<AgentConfig> = {}) =>
    startAgent({ ...config, ...overrides }, {
      datapath: new FakeDatapath(kernel),
      probe: async () => ({ edt: { available: true, reason: null } }),
      resolver: new FakeResolver(),
      events,
      devices: async () => ["eth0"],
      log: () => {},
    });

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), `pa-agent-${process.pid}-`));
    config = {
      ...loadConfig({ args: [], env: {} }),
      podsDir: join(dir, "pods"),
      socketPath: join(dir, "run", "pacer.sock"),
      stateDir: join(dir, "state"),
      metricsAddress: "127.0.0.1:0",
      nodeName: "node-a",
    };
    await mkdir(config.podsDir, { recursive: true });
    await writeFile(join(config.podsDir, "web.yaml"), manifest("web", "10M"));
    agent = await start();
  });
  after(async () => {
    await agent?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it("enforces the manifest's limits and serves them over the socket", async () => {
    assert.deepEqual(enforced(), ["lab/web/manifest egress 10000000", "lab/web/manifest ingress 5000000"]);
    const status = await fetchStatus(config.socketPath);
    assert.equal(status.bandwidthManager.line, "BandwidthManager: EDT with BPF [CUBIC] [eth0]");
    assert.equal(status.ready, true);
    const { rows } = await fetchLimits(config.socketPath);
    assert.deepEqual(rows.map((r) => [r.direction, r.state, r.enforcedBitsPerSecond]), [
      ["egress", "enforced", 10_000_000],
      ["ingress", "enforced", 5_000_000],
    ]);
  });

  it("the CLI prints the status line (exit 0) and the list with the seed's columns", async () => {
    const status = await run(process.execPath, [pacerBin, "status", "--socket", config.socketPath]);
    assert.match(status.stdout, /^BandwidthManager: EDT with BPF \[CUBIC\] \[eth0\]$/m);
    const list = await run(process.execPath, [pacerBin, "list", "--socket", config.socketPath]);
    assert.match(list.stdout, /^IDENTITY\s+DIRECTION\s+PRIO\s+BANDWIDTH \(BitsPerSec\)/);
    assert.match(list.stdout, /^\d+\s+Egress\s+0\s+10M\s+lab\/web\s+enforced/m);
    const json = JSON.parse((await run(process.execPath, [pacerBin, "list", "--json", "--socket", config.socketPath])).stdout) as { rows: unknown[] };
    assert.equal(json.rows.length, 2);
  });

  it("applies an annotation edit within 1 s", async () => {
    await writeFile(join(config.podsDir, "web.yaml"), manifest("web", "20M"));
    const took = await until(() => enforced().includes("lab/web/manifest egress 20000000"), "the edit to reach the datapath", 1000);
    assert.ok(took < 1000, `edit applied in ${took} ms`);
    console.log(`annotation edit reached the datapath in ${took} ms`);
  });

  it("keeps the last good limit on a bad edit, with an Event and a metric", async () => {
    await writeFile(join(config.podsDir, "web.yaml"), manifest("web", "1m"));
    await until(() => events.events.some((e) => e.reason === "InvalidBandwidth"), "InvalidBandwidth");
    await agent?.idle();
    assert.ok(enforced().includes("lab/web/manifest egress 20000000"));
    const row = agent?.rows().find((r) => r.direction === "egress");
    assert.equal(row?.state, "invalid");
    assert.match(events.events.find((e) => e.reason === "InvalidBandwidth")?.message ?? "", /"1m" is invalid: resource is unreasonably small \(< 1kbit\).*1k\.\.1P.*20M stays enforced/);
    const metrics = await (await fetch(`http://127.0.0.1:${agent?.metricsPort}/metrics`)).text();
    assert.match(metrics, /pacer_invalid_annotations_total\{namespace="lab",pod="web",direction="egress"\} 1/);
    assert.match(metrics, /pacer_pod_limit_bits_per_second\{namespace="lab",pod="web",direction="egress"\} 20000000/);
    assert.match(metrics, /pacer_edt_available 1/);
  });

  it("repairs tampering on the periodic pass with a Tampered Event", async () => {
    kernel.tamper("lab/web/manifest", "egress", "program");
    await agent?.resync();
    assert.ok(events.events.some((e) => e.reason === "Tampered" && e.type === "Warning"));
    assert.ok([...kernel.entries.values()].every((e) => e.programAttached));
  });

  it("a restarted agent adopts the limits without a write, then a deleted Pod is cleaned up", async () => {
    await agent?.stop();
    agent = null;
    assert.equal(enforced().length, 2, "stopping leaves the limits enforced");
    const writes = kernel.writes;
    agent = await start();
    assert.equal(kernel.writes, writes, "adoption wrote nothing");
    assert.ok(enforced().includes("lab/web/manifest egress 20000000"), "the last good limit survives the restart");
    await unlink(join(config.podsDir, "web.yaml"));
    await until(() => enforced().length === 0, "the deleted Pod's limits to go");
  });

  it("disabled by configuration: removes every limit, says why, `pacer status` exits 3", async () => {
    await writeFile(join(config.podsDir, "web.yaml"), manifest("web", "10M"));
    await until(() => enforced().length === 2, "limits back");
    await agent?.stop();
    agent = await start({ enabled: false });
    assert.deepEqual(enforced(), []);
    const result = await run(process.execPath, [pacerBin, "status", "--socket", config.socketPath]).catch((error: { code: number; stdout: string }) => error);
    assert.equal((result as { code?: number }).code, 3);
    assert.match(result.stdout, /BandwidthManager: Disabled \(disabled by configuration\)/);
    assert.deepEqual(agent.rows().map((r) => [r.state, r.reason]), [
      ["notEnforced", "disabled by configuration"],
      ["notEnforced", "disabled by configuration"],
    ]);
  });

  it("stop() twice (at once, then again) closes everything once, in the same order", async () => {
    await agent?.stop();
    agent = null;
    let closes = 0;
    const datapath = new FakeDatapath(kernel);
    const closeInner = datapath.close.bind(datapath);
    datapath.close = async () => {
      closes++;
      await closeInner();
    };
    const logLines: string[] = [];
    const stopping = await startAgent(config, {
      datapath,
      probe: async () => ({ edt: { available: true, reason: null } }),
      resolver: new FakeResolver(),
      events,
      devices: async () => ["eth0"],
      log: (line) => logLines.push(line),
    });
    await Promise.all([stopping.stop(), stopping.stop()]);
    await stopping.stop();
    assert.equal(closes, 1, "the datapath is closed once");
    assert.deepEqual(logLines.filter((line) => line.startsWith("stop:")), [], "no cleanup ran twice or failed");
  });
});
