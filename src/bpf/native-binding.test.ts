/**
 * The addon's per-environment ownership (native/src/ownership.h): a Node environment that ends — here a
 * worker thread — gets its still-open BPF objects and pin fds closed by the addon's env cleanup hook; what
 * JavaScript closed itself is not closed again (an fd number reused after closeFd stays open). A worker is a
 * Node environment of its own, so its exit is the environment ending that the hook is for.
 */
import assert from "node:assert/strict";
import { closeSync, mkdtempSync, openSync, readlinkSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { Worker } from "node:worker_threads";
import { requirePrerequisites } from "../testing/prerequisites.js";
import { mountBpffs, unmount } from "./bpf.js";
import { EDT_MAPS } from "./edt-layout.js";
import { defaultEdtObjectPath, pinnedMapPath } from "./edt-program.js";
import { defaultAddonPath } from "./native-binding.js";
import { bpfTestPrerequisites, openFdCount } from "./testing/bpffs.js";

const skip = requirePrerequisites(bpfTestPrerequisites());

interface WorkerReport {
  fds: number[];
  reusedFd?: number;
}

/**
 * Runs `body` (CommonJS; `addon`, `input`, `value` and `pauseForParent` in scope) in a worker; resolves with
 * its report once it has exited. `onMessage` runs while the worker waits in pauseForParent().
 */
function inWorker(body: string, input: Record<string, string>, onMessage?: (report: WorkerReport) => void) {
  const code = `const { parentPort, workerData } = require("node:worker_threads");
const addon = require(workerData.addonPath); const input = workerData.input;
const value = (result) => { if (!result.ok) throw new Error(result.message); return result.value; };
const gate = new Int32Array(workerData.gate);
const pauseForParent = () => Atomics.wait(gate, 0, 0, 10000);
${body}`;
  const gate = new SharedArrayBuffer(4);
  return new Promise<WorkerReport>((resolve, reject) => {
    let report: WorkerReport | undefined;
    const worker = new Worker(code, { eval: true, workerData: { addonPath: defaultAddonPath, input, gate } });
    worker.on("message", (message: WorkerReport) => {
      report = message;
      try {
        onMessage?.(message);
      } finally {
        Atomics.store(new Int32Array(gate), 0, 1);
        Atomics.notify(new Int32Array(gate), 0);
      }
    });
    worker.on("error", reject);
    worker.on("exit", (code) =>
      code === 0 && report ? resolve(report) : reject(new Error(`worker exited ${code} without a report`)),
    );
  });
}

/** What fd `fd` of this process is now ("closed" when it is not open). */
function fdTarget(fd: number): string {
  try {
    return readlinkSync(`/proc/self/fd/${fd}`);
  } catch {
    return "closed";
  }
}

const openEverything = `
const object = value(addon.objectOpen(input.objectPath, input.pinRoot));
value(addon.objectLoad(object));
const fds = [value(addon.objectProgramFd(object, "pacer_edt")), value(addon.objectMapFd(object, "pacer_pod_config")),
  value(addon.objGet(input.pinPath))];`;

describe("native addon: handles closed when their Node environment ends", { skip }, () => {
  let bpffs: string;
  let input: Record<string, string>;
  before(() => {
    bpffs = mkdtempSync(join(tmpdir(), `pn-bpffs-${process.pid}-`));
    mountBpffs(bpffs);
    input = { objectPath: defaultEdtObjectPath, pinRoot: bpffs, pinPath: pinnedMapPath(bpffs, EDT_MAPS.podConfig) };
  });
  after(() => {
    try {
      unmount(bpffs);
    } finally {
      rmSync(bpffs, { recursive: true, force: true });
    }
  });

  it("closes a BPF object and a pin fd left open by a worker", async () => {
    const fdsBefore = openFdCount();
    const report = await inWorker(`${openEverything}\nparentPort.postMessage({ fds });`, input);
    assert.equal(report.fds.length, 3);
    for (const fd of report.fds) assert.doesNotMatch(fdTarget(fd), /bpf/, `fd ${fd} closed with the worker`);
    assert.equal(openFdCount(), fdsBefore, "no file descriptors left behind");
  });

  it("does not close again what the worker closed itself, even when the fd number is reused", async () => {
    const fdsBefore = openFdCount();
    // Node closes fds a worker opened through `fs` when it exits: the reused number is opened here instead,
    // while the worker waits.
    let reusedFd: number | undefined;
    const report = await inWorker(
      `${openEverything}
value(addon.objectClose(object));
value(addon.closeFd(fds[2]));
const pinFd = value(addon.objGet(input.pinPath)); // the lowest free number again
value(addon.closeFd(pinFd));
parentPort.postMessage({ fds: [pinFd] });
pauseForParent();`,
      input,
      () => (reusedFd = openSync("/dev/null", "r")),
    );
    assert.ok(reusedFd !== undefined);
    try {
      assert.equal(reusedFd, report.fds[0], "the kernel hands out the lowest free fd: the closed pin fd's number");
      assert.equal(fdTarget(reusedFd), "/dev/null", "the cleanup hook left the reused fd alone");
    } finally {
      if (fdTarget(reusedFd) !== "closed") closeSync(reusedFd);
    }
    assert.equal(openFdCount(), fdsBefore, "no file descriptors left behind");
  });
});
