/**
 * Codec for `struct pacer_edt_state` (bpf/edt.h) and the map key (identity * 2 + direction). The field list
 * here is checked against the BTF of build/bpf/edt.bpf.o by edt-state-codec.test.ts: change both together.
 */
export const EDT_STATE_MAP_NAME = "pacer_edt_state";
export const EDT_PROGRAM_NAME = "pacer_edt";
export const EDT_MAX_IDENTITY = 16383;

export type EdtDirectionIndex = 0 | 1;
export const EDT_DIRECTION_EGRESS: EdtDirectionIndex = 0;
export const EDT_DIRECTION_INGRESS: EdtDirectionIndex = 1;

/** All u64, in struct order. */
export const EDT_STATE_FIELDS = [
  "bits_per_sec",
  "t_last_ns",
  "horizon_ns",
  "ecn_threshold_ns",
  "packets",
  "bytes",
  "delayed_packets",
  "horizon_drops",
  "ecn_marks",
] as const;
export const EDT_STATE_SIZE = EDT_STATE_FIELDS.length * 8;

export interface EdtState {
  bitsPerSecond: bigint;
  tLastNs: bigint;
  horizonNs: bigint;
  ecnThresholdNs: bigint;
  packets: bigint;
  bytes: bigint;
  delayedPackets: bigint;
  horizonDrops: bigint;
  ecnMarks: bigint;
}

const propertyOf: Record<(typeof EDT_STATE_FIELDS)[number], keyof EdtState> = {
  bits_per_sec: "bitsPerSecond",
  t_last_ns: "tLastNs",
  horizon_ns: "horizonNs",
  ecn_threshold_ns: "ecnThresholdNs",
  packets: "packets",
  bytes: "bytes",
  delayed_packets: "delayedPackets",
  horizon_drops: "horizonDrops",
  ecn_marks: "ecnMarks",
};

export const emptyEdtState = (): EdtState => ({
  bitsPerSecond: 0n,
  tLastNs: 0n,
  horizonNs: 0n,
  ecnThresholdNs: 0n,
  packets: 0n,
  bytes: 0n,
  delayedPackets: 0n,
  horizonDrops: 0n,
  ecnMarks: 0n,
});

export function encodeEdtState(state: EdtState): Buffer {
  const buffer = Buffer.alloc(EDT_STATE_SIZE);
  EDT_STATE_FIELDS.forEach((field, index) => buffer.writeBigUInt64LE(state[propertyOf[field]], index * 8));
  return buffer;
}

export function decodeEdtState(buffer: Buffer): EdtState {
  if (buffer.length !== EDT_STATE_SIZE) {
    throw new RangeError(`decode pacer_edt_state: ${buffer.length} bytes, expected ${EDT_STATE_SIZE}`);
  }
  const state = emptyEdtState();
  EDT_STATE_FIELDS.forEach((field, index) => {
    state[propertyOf[field]] = buffer.readBigUInt64LE(index * 8);
  });
  return state;
}

export function encodeEdtKey(identity: number, direction: EdtDirectionIndex): Buffer {
  if (!Number.isInteger(identity) || identity < 1 || identity > EDT_MAX_IDENTITY) {
    throw new RangeError(`identity ${identity} outside 1..${EDT_MAX_IDENTITY}`);
  }
  const key = Buffer.alloc(4);
  key.writeUInt32LE(identity * 2 + direction);
  return key;
}

export function decodeEdtKey(key: Buffer): { identity: number; direction: EdtDirectionIndex } {
  const index = key.readUInt32LE(0);
  return { identity: Math.floor(index / 2), direction: (index % 2) as EdtDirectionIndex };
}
