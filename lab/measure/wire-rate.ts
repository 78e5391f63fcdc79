/**
 * The rate that left an interface, measured apart from the program's own timeline: the root qdisc's sent
 * bytes (the wire length of every segment, what pacer's limit counts), sampled about once a second while a
 * stream runs. `wireRatio` is the rate over the stream's steady part divided by the limit.
 *
 * Read in this process through the addon's netlink dump (about a millisecond), not by running `tc` (tens of
 * milliseconds in a test kernel, and a varying part of them between the read and its timestamp: ±1% over a
 * few seconds, more than the 0.5% a wire ratio must be measured to).
 */
import { rootQdisc } from "../../src/bpf/index.js";
import { netnsPath } from "../node/exec.js";

export interface WireSample {
  /** performance.now() when the counter was read. */
  atMs: number;
  bytes: number;
}

/** Bits per second between the first sample at or after `fromMs` and the last at or before `toMs` (pure). */
export function wireBitsPerSecond(samples: readonly WireSample[], fromMs: number, toMs: number): number | null {
  const first = samples.find((sample) => sample.atMs >= fromMs);
  const last = [...samples].reverse().find((sample) => sample.atMs <= toMs);
  if (first === undefined || last === undefined || last.atMs - first.atMs < 1000) return null;
  return ((last.bytes - first.bytes) * 8 * 1000) / (last.atMs - first.atMs);
}

/**
 * The span a stream was sending (pure): from the first sample after which the rate reached `minBitsPerSec`
 * to the last sample before which it still did. Where streams start is a fork, an exec and a handshake
 * away from where the caller asked for them — under load in a test kernel, up to a second — so the steady
 * part is cut from what the counters saw, not from the caller's clock. null when it never sent.
 */
export function activeSpan(samples: readonly WireSample[], minBitsPerSec: number): { fromMs: number; toMs: number } | null {
  const rateAfter = (index: number) => {
    const [a, b] = [samples[index], samples[index + 1]];
    return a === undefined || b === undefined || b.atMs <= a.atMs ? 0 : ((b.bytes - a.bytes) * 8 * 1000) / (b.atMs - a.atMs);
  };
  let first = -1;
  let last = -1;
  for (let index = 0; index + 1 < samples.length; index++) {
    if (rateAfter(index) < minBitsPerSec) continue;
    if (first < 0) first = index;
    last = index + 1;
  }
  return first < 0 ? null : { fromMs: samples[first]!.atMs, toMs: samples[last]!.atMs };
}

/** Reads the root qdisc's sent bytes every `intervalMs` until stopped (fq when it is the root, else any). */
export class WireRateSampler {
  readonly samples: WireSample[] = [];
  private timer: NodeJS.Timeout | null = null;
  private reading: Promise<void> = Promise.resolve();
  private stopped = false;

  constructor(
    private readonly netns: string,
    private readonly dev: string,
    private readonly intervalMs = 1000,
  ) {}

  start(): void {
    const read = () => {
      this.reading = this.readOnce();
    };
    read();
    this.timer = setInterval(read, this.intervalMs);
  }

  /** Stops sampling after one last read; a second call returns the same samples. */
  async stop(): Promise<WireSample[]> {
    if (this.stopped) return this.samples;
    this.stopped = true;
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
    await this.reading;
    await this.readOnce();
    return this.samples;
  }

  private async readOnce(): Promise<void> {
    const root = rootQdisc(netnsPath(this.netns), this.dev);
    if (root !== undefined) this.samples.push({ atMs: performance.now(), bytes: Number(root.sentBytes) });
  }
}
