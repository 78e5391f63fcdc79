/**
 * Synthetic Ethernet frames for BPF_PROG_TEST_RUN (tests and bench/datapath.ts): IPv4/UDP, IPv6/UDP and
 * ARP of a chosen length. Checksums are not computed: the EDT program never reads them.
 */
export type FrameKind = "ipv4" | "ipv6" | "arp";

const ETH_P = { ipv4: 0x0800, ipv6: 0x86dd, arp: 0x0806 } as const;

export interface FrameOptions {
  ect?: boolean;
  /** IPv4 destination (default 10.0.0.2) or IPv6 destination (default ::2), as bytes. */
  destination?: readonly number[];
  /** UDP source port: a different port is a different flow (default 0). */
  sourcePort?: number;
}

export function makeFrame(kind: FrameKind, length: number, options: FrameOptions = {}): Buffer {
  const minimum = kind === "ipv6" ? 14 + 40 + 8 : kind === "ipv4" ? 14 + 20 + 8 : 14 + 28;
  if (length < minimum) throw new RangeError(`a ${kind} frame is at least ${minimum} bytes`);
  const frame = Buffer.alloc(length);
  Buffer.from([2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1]).copy(frame, 0);
  frame.writeUInt16BE(ETH_P[kind], 12);
  const ecn = options.ect ? 0b10 : 0; // ECT(0)
  if (kind === "ipv4") {
    frame[14] = 0x45;
    frame[15] = ecn;
    frame.writeUInt16BE(length - 14, 16);
    frame[22] = 64; // TTL
    frame[23] = 17; // UDP
    Buffer.from([10, 0, 0, 1, ...(options.destination ?? [10, 0, 0, 2])]).copy(frame, 26);
    frame.writeUInt16BE(options.sourcePort ?? 0, 34);
    frame.writeUInt16BE(length - 34, 38);
  } else if (kind === "ipv6") {
    frame.writeUInt32BE((6 << 28) | (ecn << 20), 14);
    frame.writeUInt16BE(length - 54, 18);
    frame[20] = 17;
    frame[21] = 64;
    frame[22 + 15] = 1;
    if (options.destination) Buffer.from(options.destination).copy(frame, 38);
    else frame[38 + 15] = 2;
    frame.writeUInt16BE(options.sourcePort ?? 0, 54);
    frame.writeUInt16BE(length - 54, 58);
  } else {
    frame.writeUInt16BE(1, 14);
    frame.writeUInt16BE(0x0800, 16);
    frame[18] = 6;
    frame[19] = 4;
    frame.writeUInt16BE(1, 20);
  }
  return frame;
}

/** The ECN bits of an IPv4 or IPv6 frame (3 = CE). */
export function ecnOf(frame: Buffer): number {
  const type = frame.readUInt16BE(12);
  if (type === 0x0800) return (frame[15] ?? 0) & 3;
  if (type === 0x86dd) return (frame.readUInt32BE(14) >>> 20) & 3;
  return 0;
}
