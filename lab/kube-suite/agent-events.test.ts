/**
 * Stopping the agent writes the Events still waiting for the rate limiter, within a short deadline, and the
 * agent's status names a Kubernetes request the server forbids: the agent with its real informer and real Kubernetes EventSink against the Kubernetes API-server TEST DOUBLE
 * (lab/apiserver-double); the in-memory datapath and a test-double resolver stand in for the kernel.
 */
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { FakeResolver } from "../../src/bandwidth/testing/fakes.js";
import { loadConfig, type AgentConfig } from "../../src/config/config.js";
import { FakeDatapath, FakeKernel } from "../../src/datapath/testing/fake.js";
import { startApiServerDouble, type ApiServerDouble } from "../apiserver-double/index.js";
import { flushAndCloseEvents, startAgent } from "../../src/agent/agent.js";

const NODE = `pq-node-${process.pid}`;
const NAMESPACE = "pq-events";
/** More invalid Pods than the EventSink's burst (50): the rest wait for tokens at 10 per second. */
const POD_COUNT = 62;

describe("agent stop flushes pending Events (API-server test double)", () => {
  let apiserver: ApiServerDouble;
  let workDir: string;
  let config: AgentConfig;

  before(async () => {
    apiserver = await startApiServerDouble();
    workDir = await mkdtemp(join(tmpdir(), `pq-agent-events-${process.pid}-`));
    config = {
      ...loadConfig({ args: [], env: {} }),
      kubeconfig: await apiserver.writeKubeconfig(workDir),
      nodeName: NODE,
      socketPath: join(workDir, "pacer.sock"),
      stateDir: join(workDir, "state"),
      metricsAddress: "",
    };
    for (let i = 0; i < POD_COUNT; i++) {
      apiserver.pods.upsert({
        metadata: { namespace: NAMESPACE, name: `bad-${i}`, annotations: { "kubernetes.io/egress-bandwidth": "1m" } },
        spec: { nodeName: NODE },
        status: { podIP: `10.77.0.${i + 1}`, podIPs: [] },
      });
    }
  });
  after(async () => {
    await apiserver.close();
    await rm(workDir, { recursive: true, force: true });
  });

  it("every InvalidBandwidth Event reaches the API server after stop() returns", async () => {
    const logLines: string[] = [];
    const agent = await startAgent(config, {
      datapath: new FakeDatapath(new FakeKernel()),
      probe: async () => ({ edt: { available: true, reason: null } }),
      resolver: new FakeResolver(),
      devices: async () => ["eth0"],
      log: (line) => logLines.push(line),
    });
    await agent.idle();
    const beforeStop = apiserver.events.all().length;
    assert.ok(beforeStop < POD_COUNT, `the rate limiter holds some Events back (${beforeStop} written before stop)`);
    const started = Date.now();
    await agent.stop();
    const stopMs = Date.now() - started;
    const invalid = apiserver.events.all().filter((event) => event.reason === "InvalidBandwidth");
    assert.equal(invalid.length, POD_COUNT, `written: ${invalid.length}; log: ${logLines.filter((l) => /^(stop|pacer events):/.test(l)).join(" | ")}`);
    assert.ok(stopMs < 2000, `stop took ${stopMs} ms`);
  });

  it("status() names a Kubernetes request the API server forbids, with the verb to grant, and clears it once allowed", async () => {
    apiserver.setForbidden("create", "events", true);
    const agent = await startAgent({ ...config, socketPath: join(workDir, "forbidden.sock") }, {
      datapath: new FakeDatapath(new FakeKernel()),
      probe: async () => ({ edt: { available: true, reason: null } }),
      resolver: new FakeResolver(),
      devices: async () => ["eth0"],
      log: () => {},
    });
    try {
      await agent.idle();
      const deadline = Date.now() + 5000;
      while (!agent.status().kubernetesApi.some((problem) => problem.verb === "create") && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
      const [problem, ...others] = agent.status().kubernetesApi;
      assert.equal(others.length, 0);
      assert.equal(problem?.resource, "events");
      assert.equal(problem?.statusCode, 403);
      assert.match(problem?.action ?? "", /grant verb "create" on resource "events"/);
      apiserver.setForbidden("create", "events", false);
      apiserver.pods.upsert({
        metadata: { namespace: NAMESPACE, name: "bad-again", annotations: { "kubernetes.io/egress-bandwidth": "2m" } },
        spec: { nodeName: NODE },
        status: { podIP: "10.77.1.1", podIPs: [] },
      });
      while (agent.status().kubernetesApi.length > 0 && Date.now() < deadline + 5000) await new Promise((resolve) => setTimeout(resolve, 20));
      assert.deepEqual(agent.status().kubernetesApi, []);
    } finally {
      apiserver.setForbidden("create", "events", false);
      await agent.stop();
    }
  });

  it("gives up at the deadline and closes the sink", async () => {
    const calls: string[] = [];
    const logLines: string[] = [];
    const sink = {
      emit() {},
      idle: () => new Promise<void>(() => calls.push("idle")), // never drains
      close: async () => void calls.push("close"),
    };
    const started = Date.now();
    await flushAndCloseEvents(sink, 50, (line) => logLines.push(line));
    assert.ok(Date.now() - started < 1000);
    assert.deepEqual(calls, ["idle", "close"]);
    assert.match(logLines.join("\n"), /still pending after 50 ms are dropped/);
  });
});
