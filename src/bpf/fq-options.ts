/**
 * Encodes fq qdisc options as the netlink attributes inside TCA_OPTIONS (include/uapi/linux/pkt_sched.h,
 * TCA_FQ_*), so the native addon only moves bytes. TCA_FQ_HORIZON/HORIZON_DROP exist since v5.7
 * (commit 39d010504e6b "net_sched: sch_fq: add horizon attribute").
 */
export interface FqOptions {
  /** Packets the whole qdisc holds (fq default 10000). */
  plimit?: number;
  /** Packets per flow (fq default 100). */
  flowPlimit?: number;
  /** Packets beyond now + horizon are dropped (horizonDrop) or capped; microseconds in the kernel. */
  horizonNs?: bigint;
  horizonDrop?: boolean;
  /** log2 of the flow hash table size (fq default 10). */
  bucketsLog?: number;
}

const TCA_FQ_PLIMIT = 1;
const TCA_FQ_FLOW_PLIMIT = 2;
const TCA_FQ_BUCKETS_LOG = 8;
const TCA_FQ_HORIZON = 14;
const TCA_FQ_HORIZON_DROP = 15;

function attribute(type: number, payload: Buffer): Buffer {
  const length = 4 + payload.length;
  const padded = Buffer.alloc((length + 3) & ~3);
  padded.writeUInt16LE(length, 0);
  padded.writeUInt16LE(type, 2);
  payload.copy(padded, 4);
  return padded;
}

const u32 = (value: number): Buffer => {
  const buffer = Buffer.alloc(4);
  buffer.writeUInt32LE(value);
  return buffer;
};

function checkU32(name: string, value: number | undefined, min: number, max: number): void {
  if (value !== undefined && (!Number.isInteger(value) || value < min || value > max)) {
    throw new RangeError(`fq ${name} ${value} outside ${min}..${max}`);
  }
}

export function encodeFqOptions(options: FqOptions): Buffer {
  checkU32("plimit", options.plimit, 1, 0xffffffff);
  checkU32("flow_plimit", options.flowPlimit, 1, 0xffffffff);
  checkU32("buckets_log", options.bucketsLog, 1, 18);
  const parts: Buffer[] = [];
  if (options.plimit !== undefined) parts.push(attribute(TCA_FQ_PLIMIT, u32(options.plimit)));
  if (options.flowPlimit !== undefined) parts.push(attribute(TCA_FQ_FLOW_PLIMIT, u32(options.flowPlimit)));
  if (options.bucketsLog !== undefined) parts.push(attribute(TCA_FQ_BUCKETS_LOG, u32(options.bucketsLog)));
  if (options.horizonNs !== undefined) {
    const micros = options.horizonNs / 1000n;
    if (micros < 1n || micros > 0xffffffffn) throw new RangeError(`fq horizon ${options.horizonNs} ns out of range`);
    parts.push(attribute(TCA_FQ_HORIZON, u32(Number(micros))));
  }
  if (options.horizonDrop !== undefined) {
    parts.push(attribute(TCA_FQ_HORIZON_DROP, Buffer.from([options.horizonDrop ? 1 : 0])));
  }
  return Buffer.concat(parts);
}

/** Reads the attributes encodeFqOptions writes back out of a dumped TCA_OPTIONS payload. */
export function decodeFqOptions(payload: Buffer): FqOptions {
  const options: FqOptions = {};
  for (let offset = 0; offset + 4 <= payload.length; ) {
    const length = payload.readUInt16LE(offset);
    const type = payload.readUInt16LE(offset + 2) & 0x3fff;
    if (length < 4) break;
    const value = payload.subarray(offset + 4, offset + length);
    if (type === TCA_FQ_PLIMIT) options.plimit = value.readUInt32LE(0);
    if (type === TCA_FQ_FLOW_PLIMIT) options.flowPlimit = value.readUInt32LE(0);
    if (type === TCA_FQ_BUCKETS_LOG) options.bucketsLog = value.readUInt32LE(0);
    if (type === TCA_FQ_HORIZON) options.horizonNs = BigInt(value.readUInt32LE(0)) * 1000n;
    if (type === TCA_FQ_HORIZON_DROP) options.horizonDrop = value.readUInt8(0) === 1;
    offset += (length + 3) & ~3;
  }
  return options;
}
