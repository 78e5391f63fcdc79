/**
 * The rate that left an interface, measured apart from the program's own timeline: the root qdisc's sent
 * bytes (the wire length of every segment, what pacer's limit counts), sampled about once a second while a
 * stream runs. `wireRatio` is the rate over the stream's steady part divided by the limit.
 */
import { readRootFq, readQdiscStats } from "./fq-stats.js";

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
    const fq = await readRootFq(this.netns, this.dev);
    const root = fq ?? (await readQdiscStats(this.netns, this.dev)).find((qdisc) => qdisc.root) ?? null;
    if (root?.sentBytes != null) this.samples.push({ atMs: performance.now(), bytes: root.sentBytes });
  }
}
