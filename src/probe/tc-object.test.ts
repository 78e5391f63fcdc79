/** The hand-written probe object is a well-formed BPF ELF: LLVM's own tools read it back. */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { commandMissing, requirePrerequisites } from "../testing/prerequisites.js";
import { buildProbeObject, PROBE_INSTRUCTIONS } from "./tc-object.js";

describe("probe object bytes", () => {
  it("is a 64-bit relocatable ELF for EM_BPF in either byte order", () => {
    const little = buildProbeObject(true);
    const big = buildProbeObject(false);
    assert.deepEqual([...little.subarray(0, 6)], [0x7f, 0x45, 0x4c, 0x46, 2, 1]);
    assert.equal(big[5], 2);
    assert.equal(little.readUInt16LE(18), 247);
    assert.equal(big.readUInt16BE(18), 247);
    assert.equal(little.length, big.length);
  });
});

describe("probe object read by llvm", { skip: requirePrerequisites([commandMissing("llvm-objdump", "llvm"), commandMissing("llvm-readelf", "llvm")]) }, () => {
  const directory = mkdtempSync(join(tmpdir(), "pp-object-"));
  after(() => rmSync(directory, { recursive: true, force: true }));
  const write = (name: string, littleEndian: boolean): string => {
    const path = join(directory, name);
    writeFileSync(path, buildProbeObject(littleEndian));
    return path;
  };

  it("disassembles to the EDT-style tstamp write", () => {
    const listing = execFileSync("llvm-objdump", ["-d", write("le.o", true)], { encoding: "utf8" });
    assert.match(listing, /file format elf64-bpf/);
    assert.match(listing, /<pp_probe>:/);
    assert.match(listing, /r2 = \*\(u64 \*\)\(r1 \+ 152\)/);
    assert.match(listing, /r2 \+= 1/);
    assert.match(listing, /\*\(u64 \*\)\(r1 \+ 152\) = r2/);
    assert.match(listing, /r0 = 0/);
    assert.match(listing, /exit/);
    assert.equal(listing.split("\n").filter((line) => /^\s+\d+:/.test(line)).length, PROBE_INSTRUCTIONS.length);
  });

  it("has the sections and symbols libbpf looks for", () => {
    const table = execFileSync("llvm-readelf", ["-S", "-s", write("le2.o", true)], { encoding: "utf8" });
    assert.match(table, /\]\s+tc\s+PROGBITS\s+\S+\s+\S+\s+000028\s+00\s+AX/);
    assert.match(table, /\]\s+license\s+PROGBITS/);
    assert.match(table, /40 FUNC\s+GLOBAL DEFAULT\s+2 pp_probe/);
  });

  it("big-endian objects disassemble the same program", () => {
    const listing = execFileSync("llvm-objdump", ["-d", write("be.o", false)], { encoding: "utf8" });
    assert.match(listing, /file format elf64-bpf/);
    assert.match(listing, /\*\(u64 \*\)\(r1 \+ 152\) = r2/);
  });
});
