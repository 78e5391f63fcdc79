/**
 * The probe's BPF object, written byte by byte: a relocatable ELF (EM_BPF) with one tc program that does what
 * the EDT datapath does to every packet — read skb->tstamp and write a later one — and returns TC_ACT_OK.
 *
 * Why not compile C with clang: `pacer check` must run on a node that has iproute2 but no compiler and no build
 * tree, and must not depend on build/bpf/edt.bpf.o (a broken or missing EDT object would read as "the kernel
 * can't", when the question is what the kernel can). Five instructions need no compiler. The program is the one
 * clang 14+ emits for
 *
 *     SEC("tc") int pp_probe(struct __sk_buff *skb) { skb->tstamp = skb->tstamp + 1; return 0; }
 *
 * (checked with llvm-objdump; the unit test parses this object back with llvm-readelf).
 */
import { endianness } from "node:os";

/** offsetof(struct __sk_buff, tstamp) in include/uapi/linux/bpf.h — part of the stable UAPI. */
export const SK_BUFF_TSTAMP_OFFSET = 152;
export const PROBE_PROGRAM_NAME = "pp_probe";
export const PROBE_SECTION = "tc";

/** One eBPF instruction: opcode, dst/src registers, 16-bit offset, 32-bit immediate. */
interface Instruction {
  opcode: number;
  dst: number;
  src: number;
  offset: number;
  immediate: number;
}

const BPF_LDX_MEM_DW = 0x79; // BPF_LDX | BPF_MEM | BPF_DW
const BPF_STX_MEM_DW = 0x7b; // BPF_STX | BPF_MEM | BPF_DW
const BPF_ALU64_ADD_K = 0x07; // BPF_ALU64 | BPF_ADD | BPF_K
const BPF_ALU64_MOV_K = 0xb7; // BPF_ALU64 | BPF_MOV | BPF_K
const BPF_JMP_EXIT = 0x95; // BPF_JMP | BPF_EXIT

/** r2 = skb->tstamp; r2 += 1; skb->tstamp = r2; r0 = TC_ACT_OK; exit. */
export const PROBE_INSTRUCTIONS: readonly Instruction[] = [
  { opcode: BPF_LDX_MEM_DW, dst: 2, src: 1, offset: SK_BUFF_TSTAMP_OFFSET, immediate: 0 },
  { opcode: BPF_ALU64_ADD_K, dst: 2, src: 0, offset: 0, immediate: 1 },
  { opcode: BPF_STX_MEM_DW, dst: 1, src: 2, offset: SK_BUFF_TSTAMP_OFFSET, immediate: 0 },
  { opcode: BPF_ALU64_MOV_K, dst: 0, src: 0, offset: 0, immediate: 0 },
  { opcode: BPF_JMP_EXIT, dst: 0, src: 0, offset: 0, immediate: 0 },
];

const ELF_HEADER_SIZE = 64;
const SECTION_HEADER_SIZE = 64;
const SYMBOL_SIZE = 24;
const EM_BPF = 247;
const ET_REL = 1;
const SHT_PROGBITS = 1;
const SHT_SYMTAB = 2;
const SHT_STRTAB = 3;
const SHF_WRITE = 0x1;
const SHF_ALLOC = 0x2;
const SHF_EXECINSTR = 0x4;
const STB_GLOBAL = 1;
const STT_OBJECT = 1;
const STT_FUNC = 2;

const align = (value: number, to: number): number => Math.ceil(value / to) * to;

/** A string table: "\0name\0name\0..." and each name's offset in it. */
function stringTable(names: string[]): { bytes: Buffer; offsetOf: (name: string) => number } {
  const offsets = new Map<string, number>();
  let text = "\0";
  for (const name of names) {
    offsets.set(name, text.length);
    text += `${name}\0`;
  }
  return {
    bytes: Buffer.from(text, "latin1"),
    offsetOf: (name) => {
      const offset = offsets.get(name);
      if (offset === undefined) throw new Error(`string table: no entry "${name}"`);
      return offset;
    },
  };
}

/** The object's bytes, in the host's byte order (BPF objects are loaded on the machine that runs them). */
export function buildProbeObject(littleEndian: boolean = endianness() === "LE"): Buffer {
  const license = Buffer.from("GPL\0", "latin1");
  const strings = stringTable([".strtab", PROBE_SECTION, "license", ".symtab", PROBE_PROGRAM_NAME, "_license"]);
  const codeSize = PROBE_INSTRUCTIONS.length * 8;

  // Layout: ELF header | tc code | license | symtab | strtab | section headers.
  const codeOffset = ELF_HEADER_SIZE;
  const licenseOffset = codeOffset + codeSize;
  const symtabOffset = align(licenseOffset + license.length, 8);
  const symbolCount = 3; // null, pp_probe, _license
  const strtabOffset = symtabOffset + symbolCount * SYMBOL_SIZE;
  const sectionHeadersOffset = align(strtabOffset + strings.bytes.length, 8);
  const sectionCount = 5; // null, .strtab, tc, license, .symtab
  const buffer = Buffer.alloc(sectionHeadersOffset + sectionCount * SECTION_HEADER_SIZE);
  const view = new DataView(buffer.buffer, buffer.byteOffset, buffer.byteLength);
  const u16 = (at: number, value: number): void => view.setUint16(at, value, littleEndian);
  const u32 = (at: number, value: number): void => view.setUint32(at, value, littleEndian);
  const u64 = (at: number, value: number): void => view.setBigUint64(at, BigInt(value), littleEndian);

  // ELF header (System V gABI, "ELF Header").
  buffer.set([0x7f, 0x45, 0x4c, 0x46, 2 /* ELFCLASS64 */, littleEndian ? 1 : 2, 1 /* EV_CURRENT */], 0);
  u16(16, ET_REL);
  u16(18, EM_BPF);
  u32(20, 1);
  u64(40, sectionHeadersOffset);
  u16(52, ELF_HEADER_SIZE);
  u16(58, SECTION_HEADER_SIZE);
  u16(60, sectionCount);
  u16(62, 1); // e_shstrndx: .strtab holds the section names too

  PROBE_INSTRUCTIONS.forEach((instruction, index) => {
    const at = codeOffset + index * 8;
    view.setUint8(at, instruction.opcode);
    // The register byte is dst:4 src:4 in the host's bit-field order (include/uapi/linux/bpf.h struct bpf_insn).
    view.setUint8(at + 1, littleEndian ? (instruction.src << 4) | instruction.dst : (instruction.dst << 4) | instruction.src);
    view.setInt16(at + 2, instruction.offset, littleEndian);
    view.setInt32(at + 4, instruction.immediate, littleEndian);
  });
  buffer.set(license, licenseOffset);

  const symbol = (index: number, name: string, type: number, section: number, size: number): void => {
    const at = symtabOffset + index * SYMBOL_SIZE;
    u32(at, strings.offsetOf(name));
    view.setUint8(at + 4, (STB_GLOBAL << 4) | type);
    u16(at + 6, section);
    u64(at + 16, size);
  };
  symbol(1, PROBE_PROGRAM_NAME, STT_FUNC, 2, codeSize);
  symbol(2, "_license", STT_OBJECT, 3, license.length);
  buffer.set(strings.bytes, strtabOffset);

  const section = (
    index: number,
    fields: { name: string; type: number; flags: number; offset: number; size: number; link?: number; info?: number; align: number; entrySize?: number },
  ): void => {
    const at = sectionHeadersOffset + index * SECTION_HEADER_SIZE;
    u32(at, strings.offsetOf(fields.name));
    u32(at + 4, fields.type);
    u64(at + 8, fields.flags);
    u64(at + 24, fields.offset);
    u64(at + 32, fields.size);
    u32(at + 40, fields.link ?? 0);
    u32(at + 44, fields.info ?? 0);
    u64(at + 48, fields.align);
    u64(at + 56, fields.entrySize ?? 0);
  };
  section(1, { name: ".strtab", type: SHT_STRTAB, flags: 0, offset: strtabOffset, size: strings.bytes.length, align: 1 });
  section(2, { name: PROBE_SECTION, type: SHT_PROGBITS, flags: SHF_ALLOC | SHF_EXECINSTR, offset: codeOffset, size: codeSize, align: 8 });
  section(3, { name: "license", type: SHT_PROGBITS, flags: SHF_WRITE | SHF_ALLOC, offset: licenseOffset, size: license.length, align: 1 });
  // sh_link: the symbols' string table; sh_info: index of the first global symbol.
  section(4, { name: ".symtab", type: SHT_SYMTAB, flags: 0, offset: symtabOffset, size: symbolCount * SYMBOL_SIZE, link: 1, info: 1, align: 8, entrySize: SYMBOL_SIZE });
  return buffer;
}
