/**
 * The map layouts against the BTF of the built object: every struct's member names, order, offsets and
 * size as the compiler laid them out (read with bpftool), plus pure round trips of the codecs and keys.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { describe, it } from "node:test";
import { commandMissing, fileMissing, requirePrerequisites } from "../testing/prerequisites.js";
import { rangeKeyOf, rangeTextOf, parseAddress } from "./edt-maps.js";
import {
  BUDGET_CONFIG,
  BUDGET_COUNTERS,
  BUDGET_TIMELINE,
  decodePodConfig,
  decodePodCounters,
  decodePodKey,
  encodePodConfig,
  encodePodKey,
  perCpuValueSize,
  POD_CONFIG,
  POD_COUNTERS,
  POD_TIMELINE,
  RANGE_KEY,
  type PodConfig,
} from "./edt-layout.js";
import { defaultEdtObjectPath } from "./edt-program.js";
import { encodeStruct, type StructLayout } from "./struct-codec.js";

interface BtfMember {
  name: string;
  bitsOffset: number;
}

/** Parses `bpftool btf dump file <o> format raw` for one STRUCT: its size and members. */
function btfStruct(raw: string, name: string): { size: number; members: BtfMember[] } {
  const lines = raw.split("\n");
  const start = lines.findIndex((line) => line.includes(`STRUCT '${name}'`));
  assert.ok(start >= 0, `STRUCT ${name} in the BTF`);
  const header = /size=(\d+) vlen=(\d+)/.exec(lines[start]!);
  assert.ok(header);
  const count = Number(header[2]);
  const members = lines.slice(start + 1, start + 1 + count).map((line) => {
    const match = /'(\w+)' type_id=\d+ bits_offset=(\d+)/.exec(line);
    assert.ok(match, `member line: ${line}`);
    return { name: match[1]!, bitsOffset: Number(match[2]) };
  });
  return { size: Number(header[1]), members };
}

const LAYOUTS: StructLayout[] = [POD_CONFIG, POD_TIMELINE, POD_COUNTERS, BUDGET_CONFIG, BUDGET_TIMELINE, BUDGET_COUNTERS, RANGE_KEY];

describe("EDT map layouts", () => {
  it("round-trips a Pod's config and sums per-CPU counters", () => {
    const config: PodConfig = {
      bitsPerSecond: 1_000_000_000_000_000n, externalBitsPerSecond: 5n, horizonNs: 2_000_000_000n, ecnThresholdNs: 10_000_000n,
      flowCreditNs: 1_000_000n, bypassCreditNs: 2_000_000n, flags: 1, sparseMaxLen: 1024, budgets: [3, 1023],
    };
    assert.deepEqual(decodePodConfig(encodePodConfig(config)), config);
    assert.throws(() => encodePodConfig({ ...config, budgets: [1, 2, 3, 4, 5] }), /at most 4 budgets/);
    const cpus = 3;
    const perCpu = Buffer.concat(Array.from({ length: cpus }, (_, cpu) =>
      encodeStruct(POD_COUNTERS, { packets: BigInt(cpu + 1), bytes: 1000n, delayedPackets: 0n, horizonDrops: 0n, ecnMarks: 0n, bypassedPackets: 1n, externalPackets: 0n, externalBytes: 0n })));
    assert.equal(perCpu.length, perCpuValueSize(POD_COUNTERS, cpus));
    const summed = decodePodCounters(perCpu, cpus);
    assert.equal(summed.packets, 6n);
    assert.equal(summed.bytes, 3000n);
    assert.equal(summed.bypassedPackets, 3n);
    assert.deepEqual(decodePodKey(encodePodKey(724, 1)), { identity: 724, direction: 1 });
    assert.throws(() => encodePodKey(0, 0), RangeError);
    assert.throws(() => encodePodKey(1024, 0), RangeError);
  });

  it("keys inside-the-cluster prefixes: IPv4 mapped into IPv6, host bits cleared, and back", () => {
    assert.equal(rangeTextOf(rangeKeyOf("10.42.1.5/16")), "10.42.0.0/16");
    assert.equal(rangeKeyOf("10.42.0.0/16").readUInt32LE(0), 112);
    assert.equal(rangeTextOf(rangeKeyOf("fd00:10:244::/56")), "fd00:10:244::/56");
    assert.equal(rangeTextOf(rangeKeyOf("2001:db8::1/128")), "2001:db8::1/128");
    assert.equal(rangeTextOf(rangeKeyOf("0.0.0.0/0")), "0.0.0.0/0");
    assert.deepEqual([...(parseAddress("::ffff:192.0.2.1") ?? [])].slice(10), [0xff, 0xff, 192, 0, 2, 1]);
    for (const bad of ["10.0.0.0", "10.0.0.0/33", "fd00::/129", "10.0.0.256/8", "fd00:::1/64", "bogus/8"]) {
      assert.throws(() => rangeKeyOf(bad), /want an IPv4 or IPv6 prefix/, bad);
    }
  });

  const skip = requirePrerequisites([
    commandMissing("bpftool", "bpftool"),
    fileMissing(defaultEdtObjectPath, "build the BPF object: make -C bpf"),
  ]);
  it("match the BTF of build/bpf/edt.bpf.o (names, order, offsets, sizes)", { skip }, () => {
    const raw = execFileSync("bpftool", ["btf", "dump", "file", defaultEdtObjectPath, "format", "raw"], { encoding: "utf8" });
    for (const layout of LAYOUTS) {
      const btf = btfStruct(raw, layout.cName);
      assert.equal(btf.size, layout.size, `${layout.cName} size`);
      assert.deepEqual(btf.members, layout.fields.map((field) => ({ name: field.name, bitsOffset: field.offset * 8 })), layout.cName);
    }
  });
});
