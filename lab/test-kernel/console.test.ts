/** ConsoleSplitter: boot log, command output and exit code out of a chunked tty stream. */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { ConsoleSplitter, consoleExcerpt } from "./console.js";

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

describe("consoleExcerpt", () => {
  const backtrace = Array.from({ length: 60 }, (_, i) => `[    1.1${String(i).padStart(2, "0")}]  frame_${i}+0x1/0x2`);
  it("keeps the kernel's first report of trouble that a long backtrace pushed out of the tail", () => {
    const text = ["[    0.5] booting", "[    1.0] Kernel panic - not syncing: IO-APIC + timer doesn't work!", ...backtrace].join("\n");
    const excerpt = consoleExcerpt(text).split("\n");
    assert.equal(excerpt[1], "[    1.0] Kernel panic - not syncing: IO-APIC + timer doesn't work!");
    assert.ok(excerpt.includes("[…]"));
    assert.equal(excerpt.at(-1), backtrace.at(-1));
  });
  it("is the plain tail when nothing went wrong or the report is in the tail already", () => {
    assert.equal(consoleExcerpt(backtrace.join("\n")), backtrace.slice(-40).join("\n"));
    const short = ["ok", "[ 1.0] BUG: kernel NULL pointer dereference", "frame"].join("\n");
    assert.equal(consoleExcerpt(short), short);
  });
});
