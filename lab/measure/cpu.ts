/**
 * CPU time the whole (test) kernel spent busy, from /proc/stat's aggregate `cpu` line: user, nice, system,
 * irq and softirq ticks (USER_HZ = 100; proc(5)). Sender, receiver and softirq work all count, which is
 * what a shaper's cost per byte should include.
 */
import { readFile } from "node:fs/promises";

/** Busy seconds in a /proc/stat text (pure): fields 1-3 (user, nice, system) and 6-7 (irq, softirq). */
export function busySecondsOf(stat: string): number {
  const fields = /^cpu\s+(.*)$/m.exec(stat)?.[1]?.trim().split(/\s+/).map(Number) ?? [];
  const ticks = [0, 1, 2, 5, 6].reduce((sum, index) => sum + (fields[index] ?? 0), 0);
  return ticks / 100;
}

export async function busySeconds(): Promise<number> {
  return busySecondsOf(await readFile("/proc/stat", "utf8"));
}
