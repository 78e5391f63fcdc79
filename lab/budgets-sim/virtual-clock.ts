/**
 * A virtual clock for the budget simulator: a time-ordered queue of callbacks (a binary heap; ties run in
 * the order they were scheduled) and the current time in milliseconds. Nothing waits on real timers: a
 * 10-minute run of 5,000 nodes takes as long as its callbacks take.
 */

export interface Scheduled {
  cancelled: boolean;
}

interface Entry extends Scheduled {
  atMs: number;
  order: number;
  run: () => void;
}

export class VirtualClock {
  private heap: Entry[] = [];
  private order = 0;
  private current = 0;
  executed = 0;

  get nowMs(): number {
    return this.current;
  }

  at(atMs: number, run: () => void): Scheduled {
    const entry: Entry = { atMs: Math.max(atMs, this.current), order: this.order++, run, cancelled: false };
    this.push(entry);
    return entry;
  }

  after(delayMs: number, run: () => void): Scheduled {
    return this.at(this.current + Math.max(0, delayMs), run);
  }

  /** Every `periodMs` from `firstAtMs` until the handle is cancelled. */
  every(firstAtMs: number, periodMs: number, run: () => void): Scheduled {
    const handle: Scheduled = { cancelled: false };
    const tick = (): void => {
      if (handle.cancelled) return;
      run();
      if (!handle.cancelled) this.after(periodMs, tick);
    };
    this.at(firstAtMs, tick);
    return handle;
  }

  /** Run every callback due up to and including `untilMs`; the clock ends at `untilMs`. */
  runUntil(untilMs: number): void {
    while (this.heap.length > 0 && (this.heap[0]?.atMs ?? Infinity) <= untilMs) {
      const entry = this.pop();
      if (entry.cancelled) continue;
      this.current = entry.atMs;
      this.executed++;
      entry.run();
    }
    this.current = Math.max(this.current, untilMs);
  }

  private less(a: Entry, b: Entry): boolean {
    return a.atMs < b.atMs || (a.atMs === b.atMs && a.order < b.order);
  }

  private push(entry: Entry): void {
    const heap = this.heap;
    heap.push(entry);
    let index = heap.length - 1;
    while (index > 0) {
      const parent = (index - 1) >> 1;
      if (!this.less(heap[index]!, heap[parent]!)) break;
      [heap[index], heap[parent]] = [heap[parent]!, heap[index]!];
      index = parent;
    }
  }

  private pop(): Entry {
    const heap = this.heap;
    const top = heap[0]!;
    const last = heap.pop()!;
    if (heap.length > 0) {
      heap[0] = last;
      let index = 0;
      for (;;) {
        const left = index * 2 + 1;
        const right = left + 1;
        let smallest = index;
        if (left < heap.length && this.less(heap[left]!, heap[smallest]!)) smallest = left;
        if (right < heap.length && this.less(heap[right]!, heap[smallest]!)) smallest = right;
        if (smallest === index) break;
        [heap[index], heap[smallest]] = [heap[smallest]!, heap[index]!];
        index = smallest;
      }
    }
    return top;
  }
}
