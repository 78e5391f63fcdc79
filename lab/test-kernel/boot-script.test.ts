/** The generated guest init and command file: quoting and the pieces the runner relies on. */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { MARKER_EXIT, MARKER_READY, commandScript, shellQuote, stage1Script, stage2Script } from "./boot-script.js";

const options = { hostExchangeDir: "/tmp/pacer-lab-1-x", modules: ["sch_fq", "veth"], upperSizeMiB: 64 };

describe("boot script", () => {
  it("quotes shell words, including single quotes", () => {
    assert.equal(shellQuote("it's"), `'it'\\''s'`);
  });

  it("stage 1 overlays the read-only root and hands over to stage 2 in the exchange dir", () => {
    const script = stage1Script(options);
    assert.match(script, /mount -t overlay overlay -o lowerdir=\/,upperdir=/);
    assert.match(script, /pivot_root/);
    assert.ok(script.includes("'/tmp/pacer-lab-1-x/stage2.sh'"));
  });

  it("stage 2 loads the modules and brackets the command with the markers", () => {
    const script = stage2Script(options);
    assert.ok(script.includes("for m in sch_fq veth;"));
    assert.ok(script.indexOf(MARKER_READY) < script.indexOf("command.sh"));
    assert.ok(script.indexOf("command.sh") < script.indexOf(MARKER_EXIT));
    assert.match(script, /mount -t bpf bpf \/sys\/fs\/bpf/);
  });

  it("the command file exports the environment and enters the working directory", () => {
    const text = commandScript("node -e 1", "/work/repo dir", { CI: "true", A_B: "x y" });
    assert.equal(text, "export CI='true'\nexport A_B='x y'\ncd '/work/repo dir' || exit 125\nnode -e 1\n");
    assert.throws(() => commandScript("true", "/", { "BAD-NAME": "1" }), /not a shell name/);
  });

  it("mounts a working directory the guest's tmpfs would hide (a clone in /tmp) from the host, read-only", () => {
    const text = commandScript("true", "/tmp/ci clone", {});
    assert.ok(text.includes("mount -t hostfs -o 'ro,/tmp/ci clone' hostfs '/tmp/ci clone'"));
    assert.ok(text.indexOf("mount -t hostfs") < text.indexOf("cd '/tmp/ci clone'"));
    assert.ok(!commandScript("true", "/work/repo", {}).includes("mount"), "visible directories are used as they are");
  });

  it("in a qemu guest, binds such a directory from where the guest sees the host's root", () => {
    const text = commandScript("true", "/tmp/ci", {}, { hostRoot: "/run/pacer-host" });
    assert.ok(text.includes("mount --bind '/run/pacer-host/tmp/ci' '/tmp/ci' || exit 125"));
  });
});
