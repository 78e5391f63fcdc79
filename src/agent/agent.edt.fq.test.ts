/**
 * The agent over the REAL EDT datapath, the real manifest-directory source and the real netns resolver, on a
 * kernel with fq (it runs inside the test kernel: test/in-test-kernel.test.ts sets PACER_TEST_KERNEL; on the
 * host it steps aside, like every *.fq.test.ts). What the issue asks of the agent, on real kernel state:
 * a limit is enforced; a qdisc removed inside the Pod is put back with a `Tampered` Event; across an agent
 * restart the program stays attached (same BPF program id: no window without a limit) and is adopted with
 * the same identity; an edit applies live; removing the annotation puts the previous qdisc back; deleting the
 * Pod leaves no row and no pacer qdisc or program.
 * Only the Event sink is a test double (its real target is the Kubernetes API server).
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { listTcFilters, rootQdisc } from "../bpf/index.js";
import { RecordingEvents } from "../bandwidth/testing/fakes.js";
import { loadConfig } from "../config/config.js";
import type { PodStatusRow } from "../bandwidth/status-row.js";
import { commandMissing, requirePrerequisites, rootMissing } from "../testing/prerequisites.js";
import { startAgent, type RunningAgent } from "./agent.js";

const skip = process.env.PACER_TEST_KERNEL
  ? requirePrerequisites([rootMissing(), commandMissing("ip", "iproute2"), commandMissing("nsenter", "util-linux")])
  : "needs the fq qdisc: runs inside the test kernel (test/in-test-kernel.test.ts)";

const ip = (...args: string[]) => execFileSync("ip", args, { stdio: ["ignore", "pipe", "pipe"] }).toString();
const tag = `pq${process.pid % 100000}e`;
const netnsName = `${tag}-pod`;
const netnsPath = `/var/run/netns/${netnsName}`;
const podIp = `10.79.${process.pid % 250}.2`;

function manifest(annotation: string | null): string {
  const annotations = annotation === null ? "{}" : `{ kubernetes.io/egress-bandwidth: "${annotation}" }`;
  return [
    "apiVersion: v1", "kind: Pod",
    `metadata: { name: web, namespace: default, uid: ${tag}-uid, annotations: ${annotations} }`,
    "spec: { nodeName: node-a, containers: [{ name: web, image: nginx }] }",
    `status: { podIP: ${podIp} }`, "",
  ].join("\n");
}

const egressRow = (agent: RunningAgent): PodStatusRow | undefined =>
  agent.rows().find((row) => row.name === "web" && row.direction === "egress");
const programIds = () => listTcFilters(netnsPath, "eth0", "egress").map((filter) => filter.programId);

describe("agent over the EDT datapath (test kernel)", { skip }, () => {
  let dir = "";
  let agent: RunningAgent | null = null;
  const events = new RecordingEvents();
  const logs: string[] = [];

  const start = async (): Promise<RunningAgent> => {
    const config = {
      ...loadConfig({ args: [], env: {} }),
      nodeName: "node-a", podsDir: join(dir, "pods"), socketPath: join(dir, "pacer.sock"), stateDir: join(dir, "state"),
      bpffsDir: `/sys/fs/bpf/${tag}`, metricsAddress: "", resyncIntervalMs: 60_000,
    };
    return startAgent(config, { events, devices: async () => ["eth0"], log: (line) => logs.push(line) });
  };
  /** Waits until the agent's egress row for the Pod satisfies `done` (the pods dir is watched, not polled by us). */
  const waitFor = async (done: (row: PodStatusRow | undefined) => boolean, what: string) => {
    const deadline = Date.now() + 10_000;
    while (!done(egressRow(agent!))) {
      if (Date.now() > deadline) assert.fail(`${what}: row is ${JSON.stringify(egressRow(agent!))}\n${logs.join("\n")}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  };

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), `${tag}-`));
    await mkdir(join(dir, "pods"));
    ip("netns", "add", netnsName);
    ip("link", "add", `${tag}h`, "type", "veth", "peer", "name", `${tag}p`);
    ip("link", "set", `${tag}p`, "netns", netnsName);
    ip("-n", netnsName, "link", "set", `${tag}p`, "name", "eth0");
    ip("-n", netnsName, "addr", "add", `${podIp}/24`, "dev", "eth0");
    ip("-n", netnsName, "link", "set", "eth0", "up");
    ip("link", "set", `${tag}h`, "up");
  });
  after(async () => {
    await agent?.stop();
    try {
      ip("netns", "del", netnsName);
    } catch {
      // never created
    }
    await rm(`/sys/fs/bpf/${tag}`, { recursive: true, force: true });
    await rm(dir, { recursive: true, force: true });
  });

  it("enforces, repairs, survives a restart without a gap, edits live, restores, cleans up", async () => {
    const before = rootQdisc(netnsPath, "eth0");
    await writeFile(join(dir, "pods", "web.yaml"), manifest("10M"));
    agent = await start();
    await waitFor((row) => row?.state === "enforced" && row.enforcedBitsPerSecond === 10_000_000, "enforced at 10M");
    assert.equal(rootQdisc(netnsPath, "eth0")?.kind, "fq");
    const [programId] = programIds();
    assert.ok(programId !== undefined, "a program on the Pod's tc egress");
    const identity = egressRow(agent)?.identity;
    assert.ok(typeof identity === "number" && identity > 0, "an identity");

    // Tampering: the Pod (CAP_NET_ADMIN) deletes its root qdisc; the next drift check puts it back and says so.
    execFileSync("nsenter", [`--net=${netnsPath}`, "tc", "qdisc", "del", "dev", "eth0", "root"]);
    assert.notEqual(rootQdisc(netnsPath, "eth0")?.kind, "fq");
    await agent.resync();
    await agent.idle();
    assert.equal(rootQdisc(netnsPath, "eth0")?.kind, "fq", "fq is back");
    assert.ok(events.events.some((event) => event.reason === "Tampered"), "a Tampered Event");

    // Restart: the program stays attached while no agent runs, and is adopted (not re-attached) afterwards.
    await agent.stop();
    agent = null;
    assert.deepEqual(programIds(), [programId], "still attached with the agent stopped");
    agent = await start();
    await agent.idle();
    await waitFor((row) => row?.state === "enforced", "adopted after restart");
    assert.equal(egressRow(agent)?.identity, identity, "same identity");
    assert.deepEqual(programIds(), [programId], "the same program: no detach/attach window");

    // A live edit, then removing the annotation puts the qdisc from before back.
    await writeFile(join(dir, "pods", "web.yaml"), manifest("50M"));
    await waitFor((row) => row?.enforcedBitsPerSecond === 50_000_000, "edited to 50M");
    assert.deepEqual(programIds(), [programId], "an edit changes the rate, not the program");
    await writeFile(join(dir, "pods", "web.yaml"), manifest(null));
    await waitFor((row) => row === undefined || row.enforcedBitsPerSecond === null, "limit removed");
    assert.equal(rootQdisc(netnsPath, "eth0")?.kind, before?.kind, `the previous root qdisc (${before?.kind}) is back`);
    assert.deepEqual(programIds(), [], "no program left");

    // Deleting the Pod leaves nothing behind.
    await writeFile(join(dir, "pods", "web.yaml"), manifest("10M"));
    await waitFor((row) => row?.state === "enforced", "enforced again");
    await rm(join(dir, "pods", "web.yaml"));
    await waitFor((row) => row === undefined, "row gone with the Pod");
    assert.deepEqual(programIds(), []);
    assert.equal(rootQdisc(netnsPath, "eth0")?.kind, before?.kind);
  });
});
