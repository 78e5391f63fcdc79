/**
 * A little-endian codec for the C structs of bpf/edt.h, from one field list per struct: offsets follow
 * C's natural alignment, which edt-layout.test.ts checks against the BTF the compiler wrote. Locks and
 * padding are part of the layout but not of the decoded value (they are written as zeros; the kernel never
 * copies a bpf_spin_lock from user space).
 */
export type ScalarType = "u8" | "u32" | "u64";
export type FieldType = ScalarType | "lock" | { array: ScalarType; length: number };

export interface FieldSpec {
  /** The C member name (BTF). */
  name: string;
  type: FieldType;
  /** The property in the decoded value; absent for locks, reserved words and padding (written as zeros). */
  property?: string;
}

export interface StructLayout {
  cName: string;
  size: number;
  fields: ReadonlyArray<FieldSpec & { offset: number; byteLength: number }>;
}

const SCALAR_BYTES: Record<ScalarType, number> = { u8: 1, u32: 4, u64: 8 };

function sizeAndAlignment(type: FieldType): { bytes: number; align: number } {
  if (type === "lock") return { bytes: 4, align: 4 }; // struct bpf_spin_lock { __u32 val; }
  if (typeof type === "string") return { bytes: SCALAR_BYTES[type], align: SCALAR_BYTES[type] };
  const element = SCALAR_BYTES[type.array];
  return { bytes: element * type.length, align: element };
}

export function structLayout(cName: string, fields: readonly FieldSpec[]): StructLayout {
  let offset = 0;
  let structAlign = 1;
  const placed = fields.map((field) => {
    const { bytes, align } = sizeAndAlignment(field.type);
    offset = Math.ceil(offset / align) * align;
    structAlign = Math.max(structAlign, align);
    const entry = { ...field, offset, byteLength: bytes };
    offset += bytes;
    return entry;
  });
  return { cName, size: Math.ceil(offset / structAlign) * structAlign, fields: placed };
}

type Value = bigint | number | ReadonlyArray<bigint | number>;

function writeScalar(buffer: Buffer, type: ScalarType, offset: number, value: bigint | number): void {
  if (type === "u64") buffer.writeBigUInt64LE(BigInt(value), offset);
  else if (type === "u32") buffer.writeUInt32LE(Number(value), offset);
  else buffer.writeUInt8(Number(value), offset);
}

function readScalar(buffer: Buffer, type: ScalarType, offset: number): bigint | number {
  if (type === "u64") return buffer.readBigUInt64LE(offset);
  return type === "u32" ? buffer.readUInt32LE(offset) : buffer.readUInt8(offset);
}

export function encodeStruct(layout: StructLayout, value: Record<string, Value>): Buffer {
  const buffer = Buffer.alloc(layout.size);
  for (const field of layout.fields) {
    if (field.property === undefined) continue;
    const given = value[field.property];
    if (given === undefined) throw new RangeError(`encode ${layout.cName}: ${field.property} is missing`);
    if (typeof field.type === "object") {
      const elements = given as ReadonlyArray<bigint | number>;
      const elementBytes = SCALAR_BYTES[field.type.array];
      if (elements.length > field.type.length) throw new RangeError(`encode ${layout.cName}: ${field.property} has more than ${field.type.length} elements`);
      elements.forEach((element, index) => writeScalar(buffer, (field.type as { array: ScalarType }).array, field.offset + index * elementBytes, element));
    } else {
      writeScalar(buffer, field.type as ScalarType, field.offset, given as bigint | number);
    }
  }
  return buffer;
}

export function decodeStruct(layout: StructLayout, buffer: Buffer, at = 0): Record<string, Value> {
  if (buffer.length - at < layout.size) throw new RangeError(`decode ${layout.cName}: ${buffer.length - at} bytes, expected ${layout.size}`);
  const value: Record<string, Value> = {};
  for (const field of layout.fields) {
    if (field.property === undefined) continue;
    if (typeof field.type === "object") {
      const { array, length } = field.type;
      value[field.property] = Array.from({ length }, (_, index) => readScalar(buffer, array, at + field.offset + index * SCALAR_BYTES[array]));
    } else {
      value[field.property] = readScalar(buffer, field.type as ScalarType, at + field.offset);
    }
  }
  return value;
}
