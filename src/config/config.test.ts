/** The configuration contract: precedence, unknown keys, durations, booleans, lists. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { loadConfig } from "./config.js";
import { formatDurationMs, parseDurationMs } from "./duration.js";

const files = (content: Record<string, string>) => (path: string) => {
  const text = content[path];
  if (text === undefined) throw new Error(`ENOENT: no such file ${path}`);
  return text;
};

describe("loadConfig", () => {
  it("has the contract's defaults", () => {
    const config = loadConfig({ args: [], env: {} });
    assert.equal(config.enabled, true);
    assert.equal(config.bbr, false);
    assert.equal(config.horizonMs, 2000);
    assert.deepEqual(config.devices, []);
    assert.equal(config.metricsAddress, "127.0.0.1:9090");
    assert.equal(config.socketPath, "/run/pacer/pacer.sock");
    assert.equal(config.stateDir, "/run/pacer");
    assert.equal(config.bpffsDir, "/sys/fs/bpf/pacer");
    assert.equal(config.netnsDir, "/var/run/netns");
    assert.equal(config.resyncIntervalMs, 10_000);
    assert.ok(config.nodeName.length > 0);
  });

  it("flags > environment > file > defaults", () => {
    const readFile = files({ "/c.yaml": "horizon: 500ms\nbbr: true\ndevices: [eth1]\nresyncInterval: 1m\nnodeName: from-file\n" });
    const config = loadConfig({
      args: ["--config", "/c.yaml", "--horizon=3s", "--node-name", "from-flag"],
      env: { PACER_HORIZON: "1s", PACER_DEVICES: "eth2,eth3", NODE_NAME: "from-env" },
      readFile,
    });
    assert.equal(config.horizonMs, 3000);
    assert.equal(config.bbr, true);
    assert.deepEqual(config.devices, ["eth2", "eth3"]);
    assert.equal(config.resyncIntervalMs, 60_000);
    assert.equal(config.nodeName, "from-flag");
  });

  it("booleans: --bbr alone, --enabled=false, --enabled false", () => {
    assert.equal(loadConfig({ args: ["--bbr"], env: {} }).bbr, true);
    assert.equal(loadConfig({ args: ["--enabled=false"], env: {} }).enabled, false);
    assert.equal(loadConfig({ args: ["--enabled", "false", "--bbr"], env: {} }).enabled, false);
    assert.equal(loadConfig({ args: [], env: { PACER_ENABLED: "false" } }).enabled, false);
    assert.throws(() => loadConfig({ args: ["--enabled=maybe"], env: {} }), { code: "INVALID_VALUE", message: /enabled.*"maybe"/ });
  });

  it("an empty metrics address disables metrics, from a flag or the environment", () => {
    assert.equal(loadConfig({ args: ["--metrics-address", ""], env: {} }).metricsAddress, "");
    assert.equal(loadConfig({ args: [], env: { PACER_METRICS_ADDRESS: "" } }).metricsAddress, "");
  });

  it("unknown keys and flags are errors naming them", () => {
    assert.throws(() => loadConfig({ args: ["--colour", "red"], env: {} }), { code: "UNKNOWN_KEY", message: /--colour/ });
    const readFile = files({ "/c.yaml": "enabled: true\nhorizn: 2s\n" });
    assert.throws(() => loadConfig({ args: ["--config", "/c.yaml"], env: {}, readFile }), { code: "UNKNOWN_KEY", message: /"horizn"/ });
    assert.throws(() => loadConfig({ args: ["--config", "/missing.yaml"], env: {}, readFile }), { code: "CONFIG_FILE", message: /missing\.yaml/ });
    assert.throws(() => loadConfig({ args: ["--pods-dir"], env: {} }), { code: "USAGE" });
  });

  it("rejects bad durations with the key's name", () => {
    assert.throws(() => loadConfig({ args: ["--resync-interval", "10"], env: {} }), { message: /resyncInterval.*"10"/ });
    assert.throws(() => loadConfig({ args: ["--horizon", "0"], env: {} }), { message: /horizon.*positive/ });
  });
});

describe("Go durations", () => {
  it("parses", () => {
    assert.equal(parseDurationMs("500ms"), 500);
    assert.equal(parseDurationMs("2s"), 2000);
    assert.equal(parseDurationMs("1m30s"), 90_000);
    assert.equal(parseDurationMs("1.5h"), 5_400_000);
    assert.equal(parseDurationMs("250us"), 0.25);
    assert.equal(parseDurationMs("0"), 0);
    for (const bad of ["", "2", "s", "2x", "1s2", "2 s"]) assert.throws(() => parseDurationMs(bad), { code: "INVALID_DURATION" }, bad);
  });
  it("formats", () => {
    assert.equal(formatDurationMs(2000), "2s");
    assert.equal(formatDurationMs(500), "500ms");
    assert.equal(formatDurationMs(90_000), "1m30s");
  });
});
