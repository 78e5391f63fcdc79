/**
 * The tc probes, in a THROWAWAY network namespace (`pp-<pid>-probe<n>-<random>`) with a veth pair of its own: the host's
 * interfaces are never touched. The namespace (and with it every link, qdisc and program) is removed in
 * `finally`, also when a probe fails. iproute2's `ip`/`tc` do the work; about ten milliseconds on the host.
 *
 * The one place the product reaches the kernel through iproute2 rather than the addon, on purpose: the probe
 * judges the kernel independently of the code it qualifies (a broken addon build cannot make a kernel look
 * capable or incapable), it asks the kernel exactly what an operator's own `tc qdisc add … fq` would ask —
 * module autoloading included — and its "MISSING" lines quote the messages an operator will search for.
 */
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { lastLine, runCommand } from "./command.js";
import type { Observation, Observations } from "./requirements.js";
import { buildProbeObject, PROBE_SECTION } from "./tc-object.js";
import { classifyBpfLoad, classifyTcCommand } from "./tc-output.js";

export type TcFeature = "bpfSyscall" | "clsact" | "clsBpf" | "tcTstamp" | "fq" | "gsoCap";
export type TcObservations = Pick<Observations, TcFeature>;

let probeSequence = 0;

const everyFeature = (observation: Observation): TcObservations => ({
  bpfSyscall: observation,
  clsact: observation,
  clsBpf: observation,
  tcTstamp: observation,
  fq: observation,
  gsoCap: observation,
});

const needsRoot = (stderr: string): string => (/Operation not permitted|Permission denied/.test(stderr) ? " (run as root)" : "");

export async function probeTcFeatures(): Promise<TcObservations> {
  // pid + sequence is unique on this host; the random part keeps an agent in a container (its own pid
  // namespace, the host's /run/netns) from colliding with a `pacer check` on the host.
  const namespace = `pp-${process.pid}-probe${probeSequence++}-${randomBytes(2).toString("hex")}`;
  const created = await runCommand("ip", ["netns", "add", namespace]);
  if (created.code !== 0) {
    const why = created.failure ?? `ip netns add: ${lastLine(created.stderr)}${needsRoot(created.stderr)}`;
    return everyFeature({ state: "unprobed", note: why });
  }
  let objectDirectory: string | undefined;
  try {
    objectDirectory = mkdtempSync(join(tmpdir(), "pp-probe-"));
    const objectPath = join(objectDirectory, "probe.bpf.o");
    writeFileSync(objectPath, buildProbeObject());
    return await probeInNamespace(namespace, objectPath);
  } finally {
    if (objectDirectory !== undefined) rmSync(objectDirectory, { recursive: true, force: true });
    // Deleting the namespace destroys the veth pair, its qdiscs and the attached program with it.
    await runCommand("ip", ["netns", "delete", namespace]);
  }
}

async function probeInNamespace(namespace: string, objectPath: string): Promise<TcObservations> {
  const tc = (...args: string[]) => runCommand("tc", ["-n", namespace, ...args]);
  const device = "pp0";
  const link = await runCommand("ip", ["-n", namespace, "link", "add", device, "type", "veth", "peer", "name", "pp1"]);
  if (link.code !== 0) {
    return everyFeature({ state: "unprobed", note: link.failure ?? `no throwaway veth: ${lastLine(link.stderr)}` });
  }

  const gsoCap = probeGsoCap(namespace, device);
  // fq with EDT: 4.20, commit ab408b6dc744 "tcp: switch tcp and sch_fq to new earliest departure time model".
  const fqProbe = tc("qdisc", "add", "dev", device, "root", "fq").then((outcome) =>
    classifyTcCommand(outcome, "fq created as the root qdisc of a veth in a throwaway namespace"),
  );

  // clsact: 4.5, commit 1f211a1b929c "net, sched: add clsact qdisc".
  const clsact = classifyTcCommand(await tc("qdisc", "add", "dev", device, "clsact"), "clsact created on a veth");
  if (clsact.state !== "present") {
    const needsClsact: Observation = { state: "unprobed", note: "needs the clsact qdisc" };
    return { clsact, clsBpf: needsClsact, bpfSyscall: needsClsact, tcTstamp: needsClsact, fq: await fqProbe, gsoCap: await gsoCap };
  }

  const [clsBpf, bpfLoad] = await Promise.all([
    // cls_bpf: 3.13 (classic BPF), eBPF 3.19 (commit e2e9b6541dd4). A classic program ("return 0") attaches
    // without the bpf() syscall, so this line is about the classifier alone.
    tc("filter", "add", "dev", device, "ingress", "bpf", "bytecode", "1,6 0 0 0,").then((outcome) =>
      classifyTcCommand(outcome, "a BPF classifier attached at clsact ingress"),
    ),
    // bpf(): 3.18 (commit 99c55f7d47c0 "bpf: introduce BPF syscall and maps"); writing skb->tstamp from tc:
    // 5.0 (commit f11216b24219 "bpf: add skb->tstamp r/w access from tc clsact and cg skb progs"); the seed
    // (Cilium's bandwidth manager) asks for 5.1. fq's EDT clock is CLOCK_MONOTONIC since 4.20 (commit
    // fb420d5d91c1 "tcp/fq: move back to CLOCK_MONOTONIC"). direct-action: 4.4 (commit 045efa82ff56).
    tc("filter", "add", "dev", device, "egress", "bpf", "da", "obj", objectPath, "sec", PROBE_SECTION).then(classifyBpfLoad),
  ]);
  return { clsact, clsBpf, ...bpfLoad, fq: await fqProbe, gsoCap: await gsoCap };
}

/**
 * Whether the kernel lowers an existing device's gso_max_size when asked (what the GSO cap does to a
 * limited Pod's interface, src/datapath/edt/gso-cap.ts): set it on the throwaway veth, read it back.
 */
async function probeGsoCap(namespace: string, device: string): Promise<Observation> {
  const wanted = 3000;
  const set = await runCommand("ip", ["-n", namespace, "link", "set", "dev", device, "gso_max_size", String(wanted)]);
  if (set.failure !== null) return { state: "unprobed", note: set.failure };
  if (set.code !== 0) return { state: "absent", note: `ip link set gso_max_size: ${lastLine(set.stderr)}` };
  const shown = await runCommand("ip", ["-n", namespace, "-d", "-j", "link", "show", "dev", device]);
  if (shown.code !== 0) return { state: "unprobed", note: shown.failure ?? `ip -d link show: ${lastLine(shown.stderr)}` };
  const value = readGsoMaxSize(shown.stdout);
  if (value === wanted) return { state: "present", note: `gso_max_size of a veth lowered to ${wanted}` };
  return { state: "absent", note: `gso_max_size stayed ${value ?? "unknown"} after setting ${wanted}` };
}

/** gso_max_size from `ip -d -j link show` (pure). */
export function readGsoMaxSize(json: string): number | null {
  try {
    const [link] = JSON.parse(json) as Array<{ gso_max_size?: number }>;
    return typeof link?.gso_max_size === "number" ? link.gso_max_size : null;
  } catch {
    return null;
  }
}
