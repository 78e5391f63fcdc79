/**
 * The latency lead of docs/design.md, "Latency under load": under its own load a Pod's RTT is about TSQ's two skbs in fq, and
 * on veth each skb can carry 64 KB (more since v5.18 grows TSO skbs at low min_rtt, tcp_tso_rtt_log). Capping
 * the Pod interface's gso_max_size to ~1 ms of the limit bounds that queue to ~2 ms of data.
 * Pure sizing here; applying and restoring is in edt-datapath.ts.
 */
/** Never below two full frames: smaller GSO skbs only cost CPU. */
export const GSO_FLOOR_MTUS = 2;
export const GSO_CAP_WINDOW_NS = 1_000_000n;

/** gso_max_size for a limit: bytes the limit carries in the window, between 2 MTUs and the original size. */
export function cappedGsoMaxSize(bitsPerSecond: number, mtu: number, originalGsoMaxSize: number): number {
  const windowBytes = Number((BigInt(bitsPerSecond) * GSO_CAP_WINDOW_NS) / 8n / 1_000_000_000n);
  const floor = GSO_FLOOR_MTUS * mtu;
  return Math.min(originalGsoMaxSize, Math.max(floor, windowBytes));
}
