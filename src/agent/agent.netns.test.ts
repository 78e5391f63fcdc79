/**
 * The agent with the real netns resolver (root): a Pod manifest whose IP lives in a real namespace gets an
 * attachment with that namespace, its eth0 and the host-side veth; the datapath is the in-memory one.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { RecordingEvents } from "../bandwidth/testing/fakes.js";
import { loadConfig } from "../config/config.js";
import { FakeDatapath, FakeKernel } from "../datapath/testing/fake.js";
import { commandMissing, requirePrerequisites, rootMissing } from "../testing/prerequisites.js";
import { startAgent, type RunningAgent } from "./agent.js";

const sh = (command: string, args: string[]) => execFileSync(command, args, { stdio: ["ignore", "pipe", "pipe"] }).toString();
const skip = requirePrerequisites([rootMissing(), commandMissing("ip", "iproute2"), commandMissing("nsenter", "util-linux")]);

describe("agent with real network namespaces", { skip }, () => {
  const tag = `pa${process.pid % 100000}a`;
  let dir = "";
  let netnsPath = "";
  let agent: RunningAgent | null = null;
  const kernel = new FakeKernel();

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), `${tag}-`));
    await mkdir(join(dir, "netns"));
    await mkdir(join(dir, "pods"));
    netnsPath = join(dir, "netns", `${tag}-pod`);
    await writeFile(netnsPath, "");
    sh("unshare", [`--net=${netnsPath}`, "true"]);
    sh("ip", ["link", "add", `${tag}h`, "type", "veth", "peer", "name", `${tag}p`]);
    sh("ip", ["link", "set", `${tag}p`, "netns", netnsPath]);
    sh("nsenter", [`--net=${netnsPath}`, "ip", "link", "set", `${tag}p`, "name", "eth0"]);
    sh("nsenter", [`--net=${netnsPath}`, "ip", "addr", "add", "10.78.0.2/24", "dev", "eth0"]);
  });
  after(async () => {
    await agent?.stop();
    try { sh("ip", ["link", "del", `${tag}h`]); } catch { /* gone with the namespace */ }
    try { sh("umount", [netnsPath]); } catch { /* not mounted */ }
    await rm(dir, { recursive: true, force: true });
  });

  it("a Pod becomes pending until its IP exists, then is attached to its namespace and veth", async () => {
    const pod = (ip: string) =>
      `kind: Pod\nmetadata: { name: db, namespace: lab, annotations: { kubernetes.io/egress-bandwidth: "10M", kubernetes.io/ingress-bandwidth: "10M" } }\nstatus: { podIP: ${ip} }\n`;
    await writeFile(join(dir, "pods", "db.yaml"), pod("10.78.9.9"));
    const config = {
      ...loadConfig({ args: [], env: {} }),
      podsDir: join(dir, "pods"),
      netnsDir: join(dir, "netns"),
      socketPath: join(dir, "pacer.sock"),
      metricsAddress: "",
      resyncIntervalMs: 1000,
    };
    agent = await startAgent(config, {
      datapath: new FakeDatapath(kernel),
      probe: async () => ({ edt: { available: true, reason: null } }),
      events: new RecordingEvents(),
      log: () => {},
    });
    assert.deepEqual(agent.rows().map((r) => r.state), ["pending", "pending"]);
    assert.match(agent.rows()[0]?.reason ?? "", /network namespace.*10\.78\.9\.9/);
    await writeFile(join(dir, "pods", "db.yaml"), pod("10.78.0.2"));
    const deadline = Date.now() + 3000;
    while (kernel.entries.size < 2 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
    const attachments = [...kernel.entries.values()].map((e) => e.spec.attachment);
    assert.equal(attachments.length, 2);
    for (const attachment of attachments) {
      assert.deepEqual(attachment, { podKey: "lab/db/manifest", netnsPath, podInterface: "eth0", hostInterface: `${tag}h` });
    }
  });
});
