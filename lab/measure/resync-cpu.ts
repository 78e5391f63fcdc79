/**
 * Measures the agent's CPU per periodic resync inside the test kernel (User-Mode Linux, ~25 ms per
 * fork+exec), for one NetnsInspector or the other:
 *
 *   node dist/lab/measure/resync-cpu.js            # boots the test kernel, runs both inspectors
 *   node dist/lab/measure/resync-cpu.js --guest ip|native   # inside a kernel, as root
 *
 * The guest run: 10 real Pod namespaces (veth pair, IPv4 + IPv6 on the Pod side), a pods dir with one
 * Pod per namespace (egress and ingress limited) plus one Pod whose namespace does not exist yet (pending:
 * the resolver re-reads every namespace for it on each pass), the agent in this process with the fake
 * datapath (so only the agent's own work is counted, not the EDT datapath's), resyncInterval 1 s. After
 * the Pods settle it samples /proc/self/stat utime+stime (the agent) and cutime+cstime (its waited-for
 * children) over 10 s and prints one JSON line.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { startAgent } from "../../src/agent/agent.js";
import { loadConfig } from "../../src/config/config.js";
import { FakeDatapath } from "../../src/datapath/testing/fake.js";
import type { NetnsInspector } from "../../src/netns/inspector.js";
import { IpRouteInspector } from "../../src/netns/testing/ip-route-inspector.js";
import { IpNetnsResolver } from "../../src/netns/ip-resolver.js";
import { NativeInspector } from "../../src/netns/native-inspector.js";
import { REPO_DIR } from "../repository.js";

const NAMESPACES = 10;
const SAMPLE_SECONDS = 10;
const sh = (command: string, args: string[]) => execFileSync(command, args, { stdio: ["ignore", "pipe", "pipe"] }).toString();

/** utime, stime, cutime, cstime of this process in seconds (proc(5): fields 14-17, USER_HZ = 100). */
function cpuTimes(): { self: number; children: number } {
  const stat = readFileSync("/proc/self/stat", "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ").map(Number);
  const tick = (index: number) => (fields[index] ?? NaN) / 100;
  return { self: tick(11) + tick(12), children: tick(13) + tick(14) };
}

function podManifest(index: number, ip: string): string {
  return [
    "apiVersion: v1", "kind: Pod",
    `metadata: {name: pod${index}, namespace: default, uid: uid-${index}, annotations: {kubernetes.io/egress-bandwidth: 10M, kubernetes.io/ingress-bandwidth: 10M}}`,
    "spec: {nodeName: node}",
    `status: {phase: Running, podIP: ${ip}}`, "",
  ].join("\n");
}

async function guest(mode: "ip" | "native"): Promise<void> {
  const tag = `pr${process.pid % 100000}`;
  const work = mkdtempSync(join(tmpdir(), `${tag}-`));
  const netnsDir = join(work, "netns");
  const podsDir = join(work, "pods");
  sh("mkdir", ["-p", netnsDir, podsDir]);
  const hostVeths: string[] = [];
  try {
    for (let index = 1; index <= NAMESPACES; index++) {
      const path = join(netnsDir, `${tag}-ns${index}`);
      writeFileSync(path, "");
      sh("unshare", [`--net=${path}`, "true"]);
      const hostVeth = `${tag}h${index}`;
      sh("ip", ["link", "add", hostVeth, "type", "veth", "peer", "name", `${tag}p${index}`]);
      hostVeths.push(hostVeth);
      sh("ip", ["link", "set", `${tag}p${index}`, "netns", path]);
      sh("nsenter", [`--net=${path}`, "sh", "-c",
        `ip link set ${tag}p${index} name eth0 && ip addr add 10.88.${index}.2/24 dev eth0 && ip addr add fd88::${index}:2/64 dev eth0 nodad && ip link set eth0 up`]);
      sh("ip", ["link", "set", hostVeth, "up"]);
      writeFileSync(join(podsDir, `pod${index}.yaml`), podManifest(index, `10.88.${index}.2`));
    }
    writeFileSync(join(podsDir, "pending.yaml"), podManifest(99, "10.88.99.2"));

    const config = loadConfig({
      args: ["--pods-dir", podsDir, "--netns-dir", netnsDir, "--resync-interval", "1s", "--metrics-address", "",
        "--socket", join(work, "pacer.sock"), "--state-dir", join(work, "state"), "--devices", "eth0", "--node-name", "node"],
      env: {},
    });
    const inspector: NetnsInspector = mode === "ip" ? new IpRouteInspector() : new NativeInspector();
    const agent = await startAgent(config, {
      datapath: new FakeDatapath(),
      probe: async () => ({ edt: { available: true, reason: null } }),
      resolver: new IpNetnsResolver({ netnsDir, inspector }),
      log: () => {},
    });
    try {
      const deadline = Date.now() + 30_000;
      while (agent.rows().filter((row) => row.state === "enforced").length < 2 * NAMESPACES && Date.now() < deadline) {
        await new Promise((done) => setTimeout(done, 200));
      }
      const enforced = agent.rows().filter((row) => row.state === "enforced").length;
      const before = cpuTimes();
      await new Promise((done) => setTimeout(done, SAMPLE_SECONDS * 1000));
      const after = cpuTimes();
      const self = after.self - before.self;
      const children = after.children - before.children;
      console.log(`@@resync-cpu ${JSON.stringify({ mode, enforcedRows: enforced, seconds: SAMPLE_SECONDS, agentCpuPerResyncS: (self + children) / SAMPLE_SECONDS, selfPerResyncS: self / SAMPLE_SECONDS, childrenPerResyncS: children / SAMPLE_SECONDS })}`);
    } finally {
      await agent.stop();
    }
  } finally {
    for (const hostVeth of hostVeths) try { sh("ip", ["link", "del", hostVeth]); } catch { /* gone with its namespace */ }
    for (let index = 1; index <= NAMESPACES; index++) try { sh("umount", [join(netnsDir, `${tag}-ns${index}`)]); } catch { /* not mounted */ }
    rmSync(work, { recursive: true, force: true });
  }
}

async function host(): Promise<void> {
  const { runInTestKernel } = await import("../test-kernel/index.js");
  const self = fileURLToPath(import.meta.url);
  const result = await runInTestKernel({
    script: `node ${self} --guest ip && node ${self} --guest native && node ${self} --guest ip && node ${self} --guest native`,
    cwd: REPO_DIR,
    onOutput: (text) => process.stdout.write(text.replace(/^(?=.)/gm, "  guest| ")),
  });
  process.exitCode = result.exitCode;
}

const [flag, mode] = process.argv.slice(2);
if (flag === "--guest" && (mode === "ip" || mode === "native")) await guest(mode);
else await host();
