/** The agent's V8 flags: parsed from bin/pacer.js's shebang, and that shebang really starts Node with them. */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { describe, it } from "node:test";
import { nodeFlagsOfShebang, PACER_BIN, shippedNodeFlags } from "./node-flags.js";

describe("agent node flags", () => {
  it("parses the shebang", () => {
    assert.deepEqual(nodeFlagsOfShebang("#!/usr/bin/env node\n"), []);
    assert.deepEqual(nodeFlagsOfShebang("#!/usr/bin/env -S node --a=1 --b\nx"), ["--a=1", "--b"]);
    assert.throws(() => nodeFlagsOfShebang("#!/bin/sh\n"), /unexpected shebang/);
  });

  it("bin/pacer.js, executed through its shebang, runs Node with the shipped flags", () => {
    assert.ok(shippedNodeFlags().includes("--max-semi-space-size=1"));
    // `pacer help` proves the shebang line works; execArgv is read by a child given the same interpreter line.
    assert.match(execFileSync(fileURLToPath(PACER_BIN), ["help"], { encoding: "utf8" }), /usage: pacer/);
    const execArgv = execFileSync("/usr/bin/env", ["-S", `node ${shippedNodeFlags().join(" ")} -p JSON.stringify(process.execArgv)`], { encoding: "utf8" });
    assert.deepEqual(JSON.parse(execArgv), [...shippedNodeFlags(), "-p", "JSON.stringify(process.execArgv)"]);
  });
});
