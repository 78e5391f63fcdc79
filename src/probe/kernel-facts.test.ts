/** Release and Kconfig parsing (pure). */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { EDT_MINIMUM_KERNEL, configState, describeOption, isAtLeast, parseKernelConfig, parseKernelRelease } from "./kernel-facts.js";

describe("kernel release", () => {
  it("reads major.minor.patch from distribution release strings", () => {
    assert.deepEqual(parseKernelRelease("6.18.44-fc-v669"), { major: 6, minor: 18, patch: 44 });
    assert.deepEqual(parseKernelRelease("6.1.0-31-cloud-amd64"), { major: 6, minor: 1, patch: 0 });
    assert.deepEqual(parseKernelRelease("5.1"), { major: 5, minor: 1, patch: 0 });
    assert.equal(parseKernelRelease("unknown"), null);
  });

  it("compares against EDT's minimum, 5.1", () => {
    const at = (release: string) => isAtLeast(parseKernelRelease(release) ?? assert.fail(release), EDT_MINIMUM_KERNEL);
    assert.equal(at("5.1.0"), true);
    assert.equal(at("5.0.21"), false);
    assert.equal(at("4.20.17"), false);
    assert.equal(at("6.0.0"), true);
    assert.equal(at("10.0.0"), true);
  });
});

describe("kernel config", () => {
  const config = parseKernelConfig(
    [
      "#",
      "# Automatically generated file; DO NOT EDIT.",
      "CONFIG_BPF=y",
      "CONFIG_NET_SCH_FQ=m",
      "# CONFIG_SCHEDSTATS is not set",
      'CONFIG_LOCALVERSION="-fc"',
      "CONFIG_HZ=250",
      "CONFIG_EXPLICIT_NO=n",
      "",
    ].join("\n"),
    "/boot/config-6.1.0",
  );

  it("keeps y, m and values; 'is not set' and =n are absent", () => {
    assert.equal(config.values.get("CONFIG_BPF"), "y");
    assert.equal(config.values.get("CONFIG_LOCALVERSION"), "-fc");
    assert.equal(config.values.get("CONFIG_HZ"), "250");
    assert.equal(config.values.has("CONFIG_SCHEDSTATS"), false);
    assert.equal(config.values.has("CONFIG_EXPLICIT_NO"), false);
  });

  it("states and describes an option", () => {
    assert.equal(configState(config, "CONFIG_BPF"), "y");
    assert.equal(configState(config, "CONFIG_NET_SCH_FQ"), "m");
    assert.equal(configState(config, "CONFIG_SCHEDSTATS"), "not set");
    assert.equal(configState(null, "CONFIG_BPF"), null);
    assert.equal(describeOption(config, "CONFIG_NET_SCH_FQ"), "CONFIG_NET_SCH_FQ=m");
    assert.equal(describeOption(config, "CONFIG_SCHEDSTATS"), "CONFIG_SCHEDSTATS is not set");
    assert.equal(describeOption(null, "CONFIG_SCHEDSTATS"), "CONFIG_SCHEDSTATS");
  });
});
