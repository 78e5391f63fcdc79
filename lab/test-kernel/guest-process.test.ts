/**
 * runGuestProcess with `sh` standing in for the guest kernel (a double for the kernel's console: what it
 * prints is all runGuestProcess reads): a death before the ready marker is told apart from one after it.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { MARKER_READY } from "./boot-script.js";
import { runGuestProcess } from "./guest-process.js";
import { TestKernelError } from "./run-types.js";

async function crashOf(script: string): Promise<TestKernelError> {
  const exchangeDir = await mkdtemp(join(tmpdir(), "pacer-lab-guest-process-"));
  try {
    await runGuestProcess({ command: "sh", args: ["-c", script], env: process.env, exchangeDir }, { script: "", timeoutMs: 10_000 });
  } catch (error) {
    assert.ok(error instanceof TestKernelError);
    return error;
  } finally {
    await rm(exchangeDir, { recursive: true, force: true });
  }
  throw new Error("the stand-in guest was expected to die without an exit code");
}

describe("runGuestProcess", () => {
  it("a guest that dies while booting is beforeCommand, and its first report of trouble is in the message", async () => {
    const error = await crashOf(`echo '[ 1.0] Kernel panic - not syncing: stand-in'; i=0; while [ $i -lt 60 ]; do echo "[ 1.1] frame $i"; i=$((i+1)); done`);
    assert.equal(error.code, "TEST_KERNEL_CRASHED");
    assert.equal(error.beforeCommand, true);
    assert.match(error.message, /Kernel panic - not syncing: stand-in/);
    assert.match(error.message, /frame 59/);
  });
  it("a guest that dies after the command started is not", async () => {
    const error = await crashOf(`echo '${MARKER_READY}'; echo 'half the output'`);
    assert.equal(error.code, "TEST_KERNEL_CRASHED");
    assert.equal(error.beforeCommand, false);
  });
});
