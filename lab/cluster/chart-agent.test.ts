/** The lab kubelet's reading of the chart's container: env (fieldRef spec.nodeName resolved) and flags. */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { containerEnv, flagValue } from "./chart-agent.js";

describe("the chart's container as the lab kubelet starts it", () => {
  it("resolves env values and spec.nodeName, and refuses what it cannot resolve", () => {
    const container = { name: "pacer", image: "x", env: [{ name: "NODE_NAME", valueFrom: { fieldRef: { fieldPath: "spec.nodeName" } } }, { name: "PACER_PROC_ROOT", value: "/host/proc" }] };
    assert.deepEqual(containerEnv(container, "node-a"), { NODE_NAME: "node-a", PACER_PROC_ROOT: "/host/proc" });
    assert.throws(() => containerEnv({ name: "p", image: "x", env: [{ name: "IP", valueFrom: { fieldRef: { fieldPath: "status.podIP" } } }] }, "n"), /resolves only/);
  });

  it("reads --name=value and --name value", () => {
    const args = ["agent", "--socket=/run/pacer/pacer.sock", "--bpffs-dir", "/sys/fs/bpf/pacer"];
    assert.equal(flagValue(args, "socket"), "/run/pacer/pacer.sock");
    assert.equal(flagValue(args, "bpffs-dir"), "/sys/fs/bpf/pacer");
    assert.equal(flagValue(args, "state-dir"), undefined);
  });
});
