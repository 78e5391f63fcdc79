/**
 * measureStream's error path on a real pair of namespaces: when `whileRunning` fails mid-stream, its error is
 * the one reported, the iperf3 client that then fails is not an unhandled rejection (it would end the test
 * process), and the ping it started is stopped rather than left running.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { readdir, readFile } from "node:fs/promises";
import { commandMissing, requirePrerequisites, rootMissing } from "../../src/testing/prerequisites.js";
import { runTool } from "../node/exec.js";
import { measureStream } from "./stream.js";

const PREFIX = `pl-${process.pid}-st`;
const SENDER = `${PREFIX}-a`;
const RECEIVER = `${PREFIX}-b`;

/** Commands of this process's live children (from /proc/<pid>/stat: field 4 is the parent pid). */
async function childCommands(): Promise<string[]> {
  const commands: string[] = [];
  for (const entry of await readdir("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = await readFile(`/proc/${entry}/stat`, "utf8").catch(() => "");
    const close = stat.lastIndexOf(")");
    const fields = stat.slice(close + 2).split(" ");
    if (fields[1] === String(process.pid) && fields[0] !== "Z") commands.push(stat.slice(stat.indexOf("(") + 1, close));
  }
  return commands;
}

const skip = requirePrerequisites([rootMissing(), commandMissing("iperf3", "iperf3"), commandMissing("ping", "iputils-ping"), commandMissing("ss", "iproute2")]);

describe("measureStream when whileRunning fails", { skip }, () => {
  before(async () => {
    for (const netns of [SENDER, RECEIVER]) await runTool("ip", ["netns", "add", netns]);
    await runTool("ip", ["link", "add", "eth0", "netns", SENDER, "type", "veth", "peer", "eth0", "netns", RECEIVER]);
    await runTool("ip", ["-n", SENDER, "-batch", "-"], { input: "addr add 192.0.2.1/30 dev eth0\nlink set lo up\nlink set eth0 up\n" });
    await runTool("ip", ["-n", RECEIVER, "-batch", "-"], { input: "addr add 192.0.2.2/30 dev eth0\nlink set lo up\nlink set eth0 up\n" });
  });

  after(async () => {
    for (const netns of [SENDER, RECEIVER]) await runTool("ip", ["netns", "delete", netns], { allowFailure: true });
  });

  it("rejects with whileRunning's error and leaves no ping or iperf3 running", { timeout: 30_000 }, async () => {
    await assert.rejects(
      measureStream({
        senderNetns: SENDER, receiverNetns: RECEIVER, receiverIp: "192.0.2.2", seconds: 5, pingDuringStream: true,
        whileRunning: async () => {
          await new Promise((resolve) => setTimeout(resolve, 500));
          throw new Error("edit failed mid-stream");
        },
      }),
      /edit failed mid-stream/,
    );
    // The client fails once its server is stopped; give it a moment to exit.
    await new Promise((resolve) => setTimeout(resolve, 1000));
    assert.deepEqual((await childCommands()).filter((command) => command === "ping" || command === "iperf3"), []);
  });
});
