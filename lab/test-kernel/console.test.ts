/** ConsoleSplitter: boot log, command output and exit code out of a chunked tty stream. */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { ConsoleSplitter } from "./console.js";

describe("ConsoleSplitter", () => {
  it("splits boot log, output and exit code across arbitrary chunk boundaries", () => {
    const stream = "kernel: hello\r\n@@ready\r\nline one\r\nline two\r\n@@exit 7\r\nreboot: halted\r\n";
    for (let cut = 0; cut <= stream.length; cut++) {
      const events: string[] = [];
      let code: number | undefined;
      const splitter = new ConsoleSplitter("@@ready", "@@exit ", {
        onReady: () => events.push("ready"),
        onOutput: (text) => events.push(text),
        onExit: (exitCode) => { code = exitCode; },
      });
      splitter.push(stream.slice(0, cut));
      splitter.push(stream.slice(cut));
      splitter.end();
      assert.deepEqual(events, ["ready", "line one\n", "line two\n"]);
      assert.equal(code, 7);
      assert.equal(splitter.bootLog, "kernel: hello\nreboot: halted\n");
      assert.equal(splitter.output, "line one\nline two\n");
    }
  });

  it("keeps a last line without newline", () => {
    const lines: string[] = [];
    const splitter = new ConsoleSplitter("R", "E ", { onReady: () => {}, onOutput: (t) => lines.push(t), onExit: () => {} });
    splitter.push("R\npartial");
    splitter.end();
    assert.deepEqual(lines, ["partial\n"]);
  });
});
