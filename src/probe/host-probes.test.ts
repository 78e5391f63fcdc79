/**
 * The read-only probes against independent evidence on the real host: the kernel's build config where it is
 * readable, and a bpffs mounted in a private mount namespace (the host's own mounts are not touched).
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { release } from "node:os";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { commandMissing, requirePrerequisites, rootMissing } from "../testing/prerequisites.js";
import { probeAfAlgHash, probeBpffs, probePerfEvents, probeSchedstats, readKernelConfig } from "./host-probes.js";
import { configState } from "./kernel-facts.js";

const config = readKernelConfig(release());
const built = (option: string): boolean | null => (config === null ? null : configState(config, option) !== "not set");

describe("read-only probes agree with the kernel's build config", { skip: config === null ? "kernel config not readable here" : false }, () => {
  it("reads the config of the running kernel", () => {
    assert.match(config?.source ?? "", /^\/proc\/config\.gz$|^\/boot\/config-/);
    assert.ok((config?.values.size ?? 0) > 100, "a real kernel config has hundreds of options");
  });

  it("perf events and schedstats", () => {
    assert.equal(probePerfEvents().state === "present", built("CONFIG_PERF_EVENTS"));
    assert.equal(probeSchedstats().state === "present", built("CONFIG_SCHEDSTATS"));
  });

  it("AF_ALG hash", { skip: requirePrerequisites([commandMissing("python3", "python3")]) }, async () => {
    const observation = await probeAfAlgHash();
    if (built("CONFIG_CRYPTO_USER_API_HASH") === false) assert.equal(observation.state, "absent", observation.note);
    // =m may be loadable or not; =y must work.
    if (configState(config, "CONFIG_CRYPTO_USER_API_HASH") === "y") assert.equal(observation.state, "present", observation.note);
  });
});

describe("bpffs probe", { skip: requirePrerequisites([rootMissing(), commandMissing("unshare", "util-linux")]) }, () => {
  const probeModule = fileURLToPath(new URL("./host-probes.js", import.meta.url));
  const probeIn = (setup: string): { state: string; note: string } =>
    JSON.parse(
      execFileSync("unshare", ["--mount", "--propagation", "private", "sh", "-c",
        `${setup} && exec "${process.execPath}" --input-type=module -e 'import { probeBpffs } from "${probeModule}"; console.log(JSON.stringify(probeBpffs()))'`,
      ], { encoding: "utf8" }),
    ) as { state: string; note: string };

  it("sees a bpffs mounted at /sys/fs/bpf", () => {
    assert.equal(probeIn("mount -t bpf bpf /sys/fs/bpf").state, "present");
  });

  it("says 'disabled' when /sys/fs/bpf is something else", () => {
    assert.deepEqual(probeIn("mount -t tmpfs tmpfs /sys/fs/bpf"), {
      state: "disabled",
      note: "the kernel has bpffs but /sys/fs/bpf is not one (statfs magic 0x1021994)",
    });
  });

  it("answers for this host, whose kernel has bpffs", () => {
    const observation = probeBpffs();
    assert.ok(["present", "disabled"].includes(observation.state), observation.note);
  });
});
