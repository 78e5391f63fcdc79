/**
 * Benchmark of the EDT program: ns per packet via BPF_PROG_TEST_RUN with `repeat` (the kernel times the
 * loop itself), several rounds, median, every case in the same rounds so they compare on one machine state:
 *
 *   previous program (anchor)  pacer's program before the kernel-matrix work: one timeline, no lock,
 *                              atomic counters on a shared value (bench/anchors/edt-v0.1.bpf.c)
 *   single timeline            today's program, flow isolation off: the timeline under a bpf_spin_lock,
 *                              per-CPU counters
 *   flow isolation             + the flow's state (hash, LRU lookup) under the same lock
 *   + outside-cluster limit    + the scope's LPM lookup and a second timeline
 *   + shared budget            + one budget timeline under its own lock
 *   unlimited, non-IP          an entry with rate 0; a frame the program ignores (the test-run harness's floor)
 *
 * Writes bench/results/datapath.json and bench/results/datapath.md. Needs root (it loads BPF and mounts
 * private bpffs) and clang (the anchor is compiled here, never by the build).
 *
 *   npm run bench:datapath [-- --repeat 1000000 --rounds 7]
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { release } from "node:os";
import { join } from "node:path";
import {
  BpfMap,
  BpfObject,
  EDT_DIRECTION_EGRESS,
  EDT_FLOW_ISOLATION,
  EDT_SCOPE_ALL,
  kernelHasSetTstamp,
  testRunProgram,
  type PodConfig,
} from "../src/bpf/index.js";
import { repositoryRoot } from "../src/bpf/native-binding.js";
import { mountPrivateBpffs } from "../src/bpf/testing/bpffs.js";
import { EdtHarness } from "../src/bpf/testing/edt-harness.js";
import { makeFrame } from "../src/bpf/testing/frames.js";

function argument(name: string, fallback: number): number {
  const index = process.argv.indexOf(`--${name}`);
  const value = index >= 0 ? Number(process.argv[index + 1]) : fallback;
  if (!Number.isInteger(value) || value < 1) throw new Error(`--${name} must be a positive integer`);
  return value;
}

const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
};

function readJitSetting(): string {
  try {
    return readFileSync("/proc/sys/net/core/bpf_jit_enable", "utf8").trim();
  } catch {
    return "unknown (no /proc/sys/net/core/bpf_jit_enable: no JIT)";
  }
}

/** The horizon out of reach: a million repeats at 10 Gbit/s run the timeline ~1 s ahead, never to a drop. */
const FAR = 1n << 62n;
const TEN_GBIT = 10_000_000_000n;

/** The anchor program, compiled from bench/anchors/, with its one shared value set to 10 Gbit/s. */
function loadAnchor(pinRoot: string): { programFd: number; close(): void } {
  const object = join(repositoryRoot, "build/bench/edt-v0.1.bpf.o");
  mkdirSync(join(repositoryRoot, "build/bench"), { recursive: true });
  execFileSync("clang", ["-g", "-O2", "-target", "bpf", "-Wall", "-Werror", `-I/usr/include/${process.arch === "arm64" ? "aarch64" : "x86_64"}-linux-gnu`,
    "-c", join(repositoryRoot, "bench/anchors/edt-v0.1.bpf.c"), "-o", object]);
  const loaded = BpfObject.open(object, pinRoot).setRodataU32("pod_identity", 1).setRodataU32("direction", 0)
    .setRodataU8("use_set_tstamp", kernelHasSetTstamp() ? 1 : 0).load();
  const map = BpfMap.openPinned(join(pinRoot, "pacer_edt_state"));
  try {
    // struct pacer_edt_state of v0.1: bits_per_sec, t_last_ns, horizon_ns, ecn_threshold_ns, five counters.
    const value = Buffer.alloc(72);
    value.writeBigUInt64LE(TEN_GBIT, 0);
    value.writeBigUInt64LE(FAR, 16);
    const key = Buffer.alloc(4);
    key.writeUInt32LE(2); // identity 1, egress
    map.update(key, value);
  } finally {
    map.close();
  }
  return { programFd: loaded.programFd("pacer_edt"), close: () => loaded.close() };
}

const CASES = ["previousProgram", "singleTimeline", "flowIsolation", "outsideClusterLimit", "sharedBudget", "unlimited", "nonIp"] as const;
type Case = (typeof CASES)[number];

function main(): void {
  if (process.getuid?.() !== 0) throw new Error("bench:datapath needs root: it loads BPF programs and mounts a bpffs");
  const repeat = argument("repeat", 1_000_000);
  const rounds = argument("rounds", 7);
  const frame = makeFrame("ipv4", 1500, { destination: [198, 51, 100, 1] });
  const arp = makeFrame("arp", 60);
  const samples = Object.fromEntries(CASES.map((name) => [name, [] as number[]])) as Record<Case, number[]>;
  const anchorFs = mountPrivateBpffs();
  const harness = new EdtHarness();
  try {
    const anchor = loadAnchor(anchorFs.path);
    try {
      harness.maps.setInternalRanges(["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "fd00::/8"]);
      harness.maps.writeBudget(1, { bitsPerSecond: TEN_GBIT, horizonNs: FAR, expiresAtNs: 0n, fallbackBitsPerSecond: 0n, scope: EDT_SCOPE_ALL }, true);
      const paced: Partial<PodConfig> = { bitsPerSecond: TEN_GBIT, horizonNs: FAR };
      const isolation: Partial<PodConfig> = { ...paced, flags: EDT_FLOW_ISOLATION, flowCreditNs: 1_000_000n, bypassCreditNs: 2_000_000n };
      const programs: Record<Exclude<Case, "previousProgram" | "nonIp">, number> = {
        singleTimeline: harness.pod(EDT_DIRECTION_EGRESS, paced).programFd,
        flowIsolation: harness.pod(EDT_DIRECTION_EGRESS, isolation).programFd,
        outsideClusterLimit: harness.pod(EDT_DIRECTION_EGRESS, { ...isolation, externalBitsPerSecond: TEN_GBIT }).programFd,
        sharedBudget: harness.pod(EDT_DIRECTION_EGRESS, { ...isolation, externalBitsPerSecond: TEN_GBIT, budgets: [1] }).programFd,
        unlimited: harness.pod(EDT_DIRECTION_EGRESS, {}).programFd,
      };
      for (let round = 0; round < rounds; round++) {
        samples.previousProgram.push(testRunProgram(anchor.programFd, { data: frame, repeat }).durationNs);
        for (const [name, programFd] of Object.entries(programs)) samples[name as Case].push(testRunProgram(programFd, { data: frame, repeat }).durationNs);
        samples.nonIp.push(testRunProgram(programs.singleTimeline, { data: arp, repeat }).durationNs);
      }
    } finally {
      anchor.close();
    }
  } finally {
    harness.close();
    anchorFs.remove();
  }
  const nsPerPacket = Object.fromEntries(CASES.map((name) => [name, median(samples[name])])) as Record<Case, number>;
  const harnessFloorNs = nsPerPacket.nonIp;
  const programNsPerPacket = Object.fromEntries(
    CASES.filter((name) => name !== "nonIp").map((name) => [name, nsPerPacket[name] - harnessFloorNs]),
  ) as Record<Exclude<Case, "nonIp">, number>;
  const result = {
    nsPerPacket,
    /** What BPF_PROG_TEST_RUN itself costs per repeat here (a program that returns at once). */
    harnessFloorNs,
    /** The program's own cost: a row minus the harness floor (what a packet pays at tc egress). */
    programNsPerPacket,
    /** Today's default (flow isolation) over the previous program, both above the floor. */
    flowIsolationOverPrevious: programNsPerPacket.flowIsolation / programNsPerPacket.previousProgram,
    kernel: release(),
    bpfJitEnable: readJitSetting(),
    setTstampHelper: kernelHasSetTstamp(),
    method: `BPF_PROG_TEST_RUN, ${repeat} repeats per round, ${rounds} rounds, median, all cases in every round; 1500-byte IPv4 frame to an outside address, one flow`,
    samples,
    targetNsPerPacket: 50,
    measuredAt: new Date().toISOString(),
  };
  const directory = join(repositoryRoot, "bench/results");
  mkdirSync(directory, { recursive: true });
  writeFileSync(join(directory, "datapath.json"), `${JSON.stringify(result, null, 2)}\n`);
  const label: Record<Case, string> = {
    previousProgram: "previous program (anchor: one timeline, no lock)",
    singleTimeline: "single timeline (lock, per-CPU counters)",
    flowIsolation: "flow isolation (the default)",
    outsideClusterLimit: "flow isolation + outside-cluster limit",
    sharedBudget: "flow isolation + outside-cluster limit + shared budget",
    unlimited: "unlimited (rate 0)",
    nonIp: "non-IP (harness floor)",
  };
  const markdown = [
    "# EDT program: ns per packet",
    "",
    `Kernel ${result.kernel}, bpf_jit_enable ${result.bpfJitEnable}, bpf_skb_set_tstamp ${result.setTstampHelper}.`,
    `${result.method}.`,
    "",
    "| case | median ns/packet | program (minus floor) | rounds (ns) |",
    "| --- | ---: | ---: | --- |",
    ...CASES.map((name) => `| ${label[name]} | ${nsPerPacket[name]} | ${name === "nonIp" ? "-" : programNsPerPacket[name]} | ${samples[name].join(", ")} |`),
    "",
    `Flow isolation costs ${result.flowIsolationOverPrevious.toFixed(2)}× the previous program per packet (both above the floor).`,
    `Target: <= ${result.targetNsPerPacket} ns per packet for the program on the host (JIT). The non-IP row is what the`,
    "test-run loop costs by itself (the program returns at once). Uncontended here: one CPU runs the loop, so the",
    "locks cost their uncontended price; contention across CPUs is measured end to end (bench/results/matrix.md).",
    "",
  ].join("\n");
  writeFileSync(join(directory, "datapath.md"), markdown);
  process.stdout.write(markdown);
}

main();
