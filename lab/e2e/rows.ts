/**
 * The e2e result rows (bench/results/e2e.json), their thresholds (from issue 3) and the readable table.
 * Pure: the guest produces rows, the host judges and writes them.
 */
import { median } from "./paired-runs.js";

export interface E2eRow {
  scenario: string;
  limitBitsPerSec: number | null;
  goodputBitsPerSec: number | null;
  maxOneSecondBitsPerSec: number | null;
  fqThrottled: number | null;
  horizonDrops: number | null;
  retransmits: number | null;
  cc: string | null;
  pingP50Ms: number | null;
  pingP99Ms: number | null;
  /** "measured", or why the scenario did not run. */
  status: string;
  /** Scenario-specific facts (apply time, qdisc restored, leftover state), shown in the table. */
  notes: string[];
  /** "unlimited, pacer on" only: on/off goodput of each interleaved pair (unlimited-comparison.ts). */
  pairedRatios?: number[];
}

export const emptyRow = (scenario: string, limitBitsPerSec: number | null): E2eRow => ({
  scenario, limitBitsPerSec, goodputBitsPerSec: null, maxOneSecondBitsPerSec: null, fqThrottled: null,
  horizonDrops: null, retransmits: null, cc: null, pingP50Ms: null, pingP99Ms: null, status: "measured", notes: [],
});

export interface Verdict {
  scenario: string;
  check: string;
  pass: boolean;
  detail: string;
}

const mbit = (bits: number | null): string => (bits === null ? "-" : (bits / 1e6).toFixed(2));

/** Judges the rows against the thresholds; scenarios that did not run give no verdict. */
export function judge(rows: readonly E2eRow[]): Verdict[] {
  const verdicts: Verdict[] = [];
  const byName = new Map(rows.map((row) => [row.scenario, row]));
  const check = (row: E2eRow, name: string, pass: boolean, detail: string) => verdicts.push({ scenario: row.scenario, check: name, pass, detail });
  for (const row of rows) {
    if (row.status !== "measured") continue;
    if (row.scenario.startsWith("pacer ") && row.limitBitsPerSec !== null && row.goodputBitsPerSec !== null) {
      const ratio = row.goodputBitsPerSec / row.limitBitsPerSec;
      check(row, "goodput 0.90-1.00 of the limit", ratio >= 0.9 && ratio <= 1.0, `${mbit(row.goodputBitsPerSec)} Mbit/s = ${ratio.toFixed(3)} of the limit`);
      if (row.maxOneSecondBitsPerSec !== null) {
        check(row, "no 1-s interval above 1.5x the limit", row.maxOneSecondBitsPerSec <= 1.5 * row.limitBitsPerSec, `max 1 s ${mbit(row.maxOneSecondBitsPerSec)} Mbit/s`);
      }
      if (row.fqThrottled !== null) check(row, "fq throttled > 0 (paced, not policed)", row.fqThrottled > 0, `throttled ${row.fqThrottled}`);
      if (row.horizonDrops !== null) check(row, "0 horizon drops", row.horizonDrops === 0, `horizon drops ${row.horizonDrops}`);
    }
    for (const note of row.notes) {
      const failed = /^FAIL: /.exec(note);
      if (note.startsWith("PASS: ") || failed) check(row, note.replace(/^(PASS|FAIL): /, ""), !failed, note);
    }
  }
  const off = byName.get("unlimited, pacer off");
  const on = byName.get("unlimited, pacer on");
  if (on?.pairedRatios !== undefined && on.pairedRatios.length > 0 && on.status === "measured") {
    const ratio = median(on.pairedRatios);
    check(on, "unannotated Pod keeps >= 80% of its throughput", ratio >= 0.8, `median of per-pair on/off ratios ${ratio.toFixed(3)} (pairs: ${on.pairedRatios.map((pair) => pair.toFixed(3)).join(" ")}; medians ${mbit(on.goodputBitsPerSec)} vs ${mbit(off?.goodputBitsPerSec ?? null)} Mbit/s)`);
  } else if (off?.goodputBitsPerSec != null && on?.goodputBitsPerSec != null && on.status === "measured") {
    const ratio = on.goodputBitsPerSec / off.goodputBitsPerSec;
    check(on, "unannotated Pod keeps >= 80% of its throughput", ratio >= 0.8, `${mbit(on.goodputBitsPerSec)} vs ${mbit(off.goodputBitsPerSec)} Mbit/s = ${ratio.toFixed(3)}`);
  }
  return verdicts;
}

const cell = (value: number | string | null, digits = 1): string =>
  value === null ? "-" : typeof value === "number" ? value.toFixed(digits) : value;

export function toMarkdown(rows: readonly E2eRow[], verdicts: readonly Verdict[], context: string): string {
  const lines = [
    "# pacer end-to-end results", "", context, "",
    "| scenario | limit Mbit/s | goodput Mbit/s | max 1 s Mbit/s | fq throttled | horizon drops | retransmits | cc | ping p50 ms | ping p99 ms | status |",
    "|---|---|---|---|---|---|---|---|---|---|---|",
  ];
  for (const row of rows) {
    lines.push(`| ${row.scenario} | ${mbit(row.limitBitsPerSec)} | ${mbit(row.goodputBitsPerSec)} | ${mbit(row.maxOneSecondBitsPerSec)} | ${cell(row.fqThrottled, 0)} | ${cell(row.horizonDrops, 0)} | ${cell(row.retransmits, 0)} | ${cell(row.cc)} | ${cell(row.pingP50Ms)} | ${cell(row.pingP99Ms)} | ${row.status} |`);
  }
  const notes = rows.filter((row) => row.notes.length > 0);
  if (notes.length > 0) {
    lines.push("", "## Notes", "");
    for (const row of notes) for (const note of row.notes) lines.push(`- ${row.scenario}: ${note}`);
  }
  lines.push("", "## Checks", "");
  if (verdicts.length === 0) lines.push("- none ran");
  for (const verdict of verdicts) lines.push(`- ${verdict.pass ? "PASS" : "FAIL"} ${verdict.scenario}: ${verdict.check} (${verdict.detail})`);
  return `${lines.join("\n")}\n`;
}
