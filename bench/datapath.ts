/**
 * Benchmark of the EDT program: ns per packet via BPF_PROG_TEST_RUN with `repeat` (the kernel times the
 * loop itself), limited, unlimited and non-IP (the test-run loop's own floor), several rounds, median
 * reported. Writes bench/results/datapath.json and bench/results/datapath.md. Needs root (it loads BPF and
 * mounts a private bpffs).
 *
 *   npm run bench:datapath [-- --repeat 1000000 --rounds 7]
 */
import { readFileSync, writeFileSync, mkdirSync } from "node:fs";
import { release } from "node:os";
import { join } from "node:path";
import {
  BpfMap,
  EDT_DIRECTION_EGRESS,
  emptyEdtState,
  encodeEdtKey,
  encodeEdtState,
  kernelHasSetTstamp,
  loadEdtInstance,
  pinnedStateMapPath,
  testRunProgram,
} from "../src/bpf/index.js";
import { repositoryRoot } from "../src/bpf/native-binding.js";
import { mountPrivateBpffs } from "../src/bpf/testing/bpffs.js";
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

function main(): void {
  if (process.getuid?.() !== 0) throw new Error("bench:datapath needs root: it loads BPF programs and mounts a bpffs");
  const repeat = argument("repeat", 1_000_000);
  const rounds = argument("rounds", 7);
  const frame = makeFrame("ipv4", 1500);
  const arp = makeFrame("arp", 60);
  const bpffs = mountPrivateBpffs();
  const samples: Record<"limited" | "unlimited" | "nonIp", number[]> = { limited: [], unlimited: [], nonIp: [] };
  try {
    const limited = loadEdtInstance({ pinRoot: bpffs.path, identity: 1, direction: EDT_DIRECTION_EGRESS });
    const unlimited = loadEdtInstance({ pinRoot: bpffs.path, identity: 2, direction: EDT_DIRECTION_EGRESS });
    const map = BpfMap.openPinned(pinnedStateMapPath(bpffs.path));
    try {
      for (let round = 0; round < rounds; round++) {
        // Limited: every packet takes the full path (paced, counters). 10 Gbit/s advances 1.2 us per packet;
        // the horizon is set out of reach so a million repeats never hit the (shorter) drop path.
        map.update(
          encodeEdtKey(1, EDT_DIRECTION_EGRESS),
          encodeEdtState({ ...emptyEdtState(), bitsPerSecond: 10_000_000_000n, horizonNs: 1n << 62n }),
        );
        samples.limited.push(testRunProgram(limited.programFd, { data: frame, repeat }).durationNs);
        // Unlimited: an entry with rate 0 (a Pod whose limit was removed, or not yet set).
        samples.unlimited.push(testRunProgram(unlimited.programFd, { data: frame, repeat }).durationNs);
        // Non-IP: the program returns before any work, so this is the test-run harness's own floor.
        samples.nonIp.push(testRunProgram(limited.programFd, { data: arp, repeat }).durationNs);
      }
    } finally {
      map.close();
      limited.object.close();
      unlimited.object.close();
    }
  } finally {
    bpffs.remove();
  }
  const nsPerPacket = { limited: median(samples.limited), unlimited: median(samples.unlimited) };
  const harnessFloorNs = median(samples.nonIp);
  const result = {
    nsPerPacket,
    /** What BPF_PROG_TEST_RUN itself costs per repeat here (a program that returns at once). */
    harnessFloorNs,
    /** The program's own cost: a row minus the harness floor (what a packet pays at tc egress). */
    programNsPerPacket: {
      limited: nsPerPacket.limited - harnessFloorNs,
      unlimited: nsPerPacket.unlimited - harnessFloorNs,
    },
    kernel: release(),
    bpfJitEnable: readJitSetting(),
    setTstampHelper: kernelHasSetTstamp(),
    method: `BPF_PROG_TEST_RUN, ${repeat} repeats per round, ${rounds} rounds, median; 1500-byte IPv4 frame`,
    samples,
    targetNsPerPacket: 50,
    measuredAt: new Date().toISOString(),
  };
  const directory = join(repositoryRoot, "bench/results");
  mkdirSync(directory, { recursive: true });
  writeFileSync(join(directory, "datapath.json"), `${JSON.stringify(result, null, 2)}\n`);
  const markdown = [
    "# EDT program: ns per packet",
    "",
    `Kernel ${result.kernel}, bpf_jit_enable ${result.bpfJitEnable}, bpf_skb_set_tstamp ${result.setTstampHelper}.`,
    `${result.method}.`,
    "",
    "| case | median ns/packet | rounds (ns) |",
    "| --- | ---: | --- |",
    `| limited (paced) | ${result.nsPerPacket.limited} | ${samples.limited.join(", ")} |`,
    `| unlimited (rate 0) | ${result.nsPerPacket.unlimited} | ${samples.unlimited.join(", ")} |`,
    `| non-IP (harness floor) | ${result.harnessFloorNs} | ${samples.nonIp.join(", ")} |`,
    "",
    `The program itself (row minus floor): limited ${result.programNsPerPacket.limited} ns, unlimited ${result.programNsPerPacket.unlimited} ns per packet.`,
    "",
    `Target: <= ${result.targetNsPerPacket} ns per packet on the host (JIT). The non-IP row is what the test-run`,
    "loop costs by itself (the program returns at once); the program's own cost is a row minus that floor.",
    "Measured by ablation on the 6.18 Firecracker host (not rerun by this bench): of the limited path's ~40 ns above",
    "the floor, bpf_ktime_get_ns is ~30 ns and bpf_skb_set_tstamp ~6 ns; the division and atomic counters are noise.",
    "",
  ].join("\n");
  writeFileSync(join(directory, "datapath.md"), markdown);
  process.stdout.write(markdown);
}

main();
