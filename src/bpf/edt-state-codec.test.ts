/**
 * The struct codec against the BTF of the built object: names, offsets and sizes of pacer_edt_state as the
 * compiler laid them out (read with bpftool), plus a pure round trip.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { describe, it } from "node:test";
import { commandMissing, fileMissing, requirePrerequisites } from "../testing/prerequisites.js";
import { defaultEdtObjectPath } from "./edt-program.js";
import {
  decodeEdtKey,
  decodeEdtState,
  EDT_STATE_FIELDS,
  EDT_STATE_SIZE,
  encodeEdtKey,
  encodeEdtState,
  type EdtState,
} from "./edt-state-codec.js";

interface BtfMember {
  name: string;
  bitsOffset: number;
}

/** Parses `bpftool btf dump file <o> format raw` for one STRUCT: its size and members. */
function btfStruct(objectPath: string, name: string): { size: number; members: BtfMember[] } {
  const raw = execFileSync("bpftool", ["btf", "dump", "file", objectPath, "format", "raw"], { encoding: "utf8" });
  const lines = raw.split("\n");
  const start = lines.findIndex((line) => line.includes(`STRUCT '${name}'`));
  assert.ok(start >= 0, `STRUCT ${name} in the BTF of ${objectPath}`);
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

describe("pacer_edt_state codec", () => {
  it("round-trips every field", () => {
    const state: EdtState = {
      bitsPerSecond: 1_000_000_000_000_000n,
      tLastNs: 123_456_789_012n,
      horizonNs: 2_000_000_000n,
      ecnThresholdNs: 5_000_000n,
      packets: 1n,
      bytes: 2n ** 64n - 1n,
      delayedPackets: 3n,
      horizonDrops: 4n,
      ecnMarks: 5n,
    };
    assert.deepEqual(decodeEdtState(encodeEdtState(state)), state);
    assert.deepEqual(decodeEdtKey(encodeEdtKey(724, 1)), { identity: 724, direction: 1 });
    assert.throws(() => encodeEdtKey(0, 0), RangeError);
    assert.throws(() => decodeEdtState(Buffer.alloc(8)), RangeError);
  });

  const skip = requirePrerequisites([
    commandMissing("bpftool", "bpftool"),
    fileMissing(defaultEdtObjectPath, "build the BPF object: make -C bpf"),
  ]);
  it("matches the BTF of build/bpf/edt.bpf.o (names, order, offsets, size)", { skip }, () => {
    const btf = btfStruct(defaultEdtObjectPath, "pacer_edt_state");
    assert.equal(btf.size, EDT_STATE_SIZE);
    assert.deepEqual(
      btf.members,
      EDT_STATE_FIELDS.map((name, index) => ({ name, bitsOffset: index * 64 })),
    );
  });
});
