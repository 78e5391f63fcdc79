/** `./run demo` argument parsing: defaults, --seconds bounds, --chart relative to the cwd, usage errors. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { parseDemoArgs } from "./args.js";

describe("parseDemoArgs", () => {
  it("defaults to 10 s streams and ./pacer-demo.svg in the current directory", () => {
    assert.deepEqual(parseDemoArgs([], "/home/op"), { json: false, seconds: 10, chartPath: "/home/op/pacer-demo.svg", help: false });
  });

  it("reads --json, --seconds and a relative or absolute --chart", () => {
    assert.deepEqual(parseDemoArgs(["--json", "--seconds", "3", "--chart", "out/c.svg"], "/w"), { json: true, seconds: 3, chartPath: "/w/out/c.svg", help: false });
    assert.equal((parseDemoArgs(["--chart=/tmp/x.svg"], "/w") as { chartPath: string }).chartPath, "/tmp/x.svg");
  });

  it("rejects what it cannot use, saying what to give", () => {
    assert.match(parseDemoArgs(["--seconds", "ten"], "/") as string, /whole number/);
    assert.match(parseDemoArgs(["--seconds", "1"], "/") as string, /2-60/);
    assert.match(parseDemoArgs(["--seconds", "61"], "/") as string, /2-60/);
    assert.match(parseDemoArgs(["--chart", ""], "/") as string, /file path/);
    assert.match(parseDemoArgs(["--bogus"], "/") as string, /bogus/);
    assert.match(parseDemoArgs(["extra"], "/") as string, /extra/);
  });
});
