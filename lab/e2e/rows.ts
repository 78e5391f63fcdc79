/**
 * The e2e result rows (bench/results/e2e.json), their thresholds and the readable tables. Stream rows
 * (issue 3: limits held, pacing not policing) and latency rows (issue 12: light flows under the Pod's own
 * load) live in one array; `probe` tells a latency row. Pure: the guest produces rows, the host judges and
 * writes them.
 */
import { costMarkdown, isCostRow, type CostRow } from "./cost/cost-rows.js";
import { median } from "./paired-runs.js";

/** One light probe of one latency run (lab/e2e/latency/). */
export interface LatencyRow {
  scenario: string;
  mode: "per-flow" | "single-timeline" | "reference-cni";
  direction: "egress" | "ingress";
  limitBitsPerSec: number;
  bulkFlows: number;
  bulkProtocol: "tcp" | "udp" | null;
  cc: string | null;
  probe: "tcp_rr" | "ping";
  /** null: not one answer came back within the probe's time (all lost, or slower than the run). */
  p50Ms: number | null;
  p99Ms: number | null;
  /** The same probe's p99 with no bulk load (same mode, direction and limit, same run). */
  idleP99Ms: number | null;
  rrTransactionsPerSec: number | null;
  /** Wire rate that left the shaping qdisc over the bulk's steady part, over the limit. */
  wireRatio: number | null;
  /** Jain's index of the bulk TCP streams' shares (several streams only). */
  jainIndex: number | null;
  goodputBitsPerSec: number | null;
  retransmits: number | null;
  /** fq drops for its per-flow limit during the run (only the program should drop). */
  flowLimitDrops: number | null;
  /** UDP bulk: what the sender offered, before shaping (a test kernel's CPU can cap it below the limit). */
  offeredBitsPerSec: number | null;
  /** netperf's test ended after the bulk did: its numbers are partly an idle Pod's. */
  probeOutlastedLoad: boolean;
}

/** One shared-uplink scenario (issue 10): limits and budgets on what crosses the cluster's edge. */
export interface UplinkRow {
  scenario: string;
  limitBitsPerSec: number;
  /** The measured streams' goodputs added up (each over its own seconds: iperf3's receiver-side payload). */
  goodputBitsPerSec: number;
  /** What crossed the uplink (its counting qdisc) over the steady part, over the limit. */
  wireRatio: number | null;
  pods: number;
  /** Each Pod's part of what the Pods' shaping qdiscs sent over one common window (0.5 each: equal shares of two). */
  shares: number[];
  podGoodputBitsPerSec: number[];
  /** The same Pod's stream to a Pod inside the cluster, at the same time (outside-cluster limit). */
  insideGoodputBitsPerSec?: number;
  /** From a label edit to the Pod leaving the budget (no row in pacer list). */
  relabelMs?: number;
  notes: string[];
}

export type E2eResult = E2eRow | LatencyRow | UplinkRow | CostRow;
export const isLatencyRow = (row: E2eResult): row is LatencyRow => "probe" in row;
export const isUplinkRow = (row: E2eResult): row is UplinkRow => "shares" in row;
export { isCostRow };
export const isStreamRow = (row: E2eResult): row is E2eRow => !isLatencyRow(row) && !isUplinkRow(row) && !isCostRow(row);

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

/**
 * "behaviour": what pacer does at all (a limit holds roughly, pacing not policing, isolation beats one
 * timeline in the same run, in-cluster traffic is not limited): asserted by the test suite. "target": the
 * issues' accuracy and latency goals (0.5% on the wire, p99 bounds, fairness): measured by `npm run e2e`
 * and reported, never asserted in a timed test — a shared machine's load moves them.
 */
export type VerdictKind = "behaviour" | "target";

export interface Verdict {
  scenario: string;
  check: string;
  pass: boolean;
  detail: string;
  kind: VerdictKind;
}

const mbit = (bits: number | null): string => (bits === null ? "-" : (bits / 1e6).toFixed(2));

/** Judges every row against its issue's thresholds; scenarios that did not run give no verdict. */
export function judge(results: readonly E2eResult[]): Verdict[] {
  return [...judgeStreams(results.filter(isStreamRow)), ...judgeLatency(results.filter(isLatencyRow)), ...judgeUplink(results.filter(isUplinkRow))];
}

/**
 * Issue 10's bounds: the uplink carries the budget or outside-cluster limit within 0.5% on the wire; two
 * backlogged Pods each within 10% of an equal share; inside-cluster traffic of the same Pod at least 10x the
 * limit; a Pod relabelled out of its budget unlimited within 1 s.
 */
export function judgeUplink(rows: readonly UplinkRow[]): Verdict[] {
  const verdicts: Verdict[] = [];
  const check = (kind: VerdictKind, row: UplinkRow, name: string, pass: boolean, detail: string) => verdicts.push({ scenario: row.scenario, check: name, pass, detail, kind });
  for (const row of rows) {
    if (row.relabelMs !== undefined) {
      check("target", row, "unlimited within 1 s of the label edit", row.relabelMs <= 1000, `${row.relabelMs.toFixed(0)} ms`);
      check("behaviour", row, "then far above the budget (>= 10x)", row.goodputBitsPerSec >= 10 * row.limitBitsPerSec, `${mbit(row.goodputBitsPerSec)} Mbit/s`);
      continue;
    }
    if (row.wireRatio !== null) {
      const detail = `wireRatio ${row.wireRatio.toFixed(4)}`;
      check("target", row, "uplink wire rate 0.995-1.005 of the limit", row.wireRatio >= 0.995 && row.wireRatio <= 1.005, detail);
      check("behaviour", row, "the limit holds on the uplink (0.85-1.05)", row.wireRatio >= 0.85 && row.wireRatio <= 1.05, detail);
    }
    if (row.pods > 1) {
      const equal = 1 / row.pods;
      const worst = Math.max(...row.shares.map((share) => Math.abs(share - equal) / equal));
      const detail = `shares ${row.shares.map((share) => share.toFixed(3)).join(" / ")}`;
      check("target", row, "each Pod within 10% of an equal share", worst <= 0.1, detail);
      check("behaviour", row, "every Pod gets a part (>= a third of an equal share)", Math.min(...row.shares) >= equal / 3, detail);
    }
    if (row.insideGoodputBitsPerSec !== undefined) {
      check("behaviour", row, "inside the cluster unlimited (>= 10x the limit)", row.insideGoodputBitsPerSec >= 10 * row.limitBitsPerSec, `${mbit(row.insideGoodputBitsPerSec)} Mbit/s to a Pod on the node`);
    }
  }
  return verdicts;
}

/**
 * Issue 12's goals, for pacer with flow isolation (the other modes are anchors): light-flow p99 at most
 * 3 ms at 10M and at most the idle p99 + 2 ms (10M) / + 0.5 ms (100M) under every load; Jain >= 0.95 among
 * 8 CUBIC streams; the aggregate wire rate within 0.5% of the limit; no fq flow-limit drop.
 */
export function judgeLatency(rows: readonly LatencyRow[]): Verdict[] {
  const verdicts: Verdict[] = [];
  const check = (kind: VerdictKind, row: LatencyRow, name: string, pass: boolean, detail: string) =>
    verdicts.push({ scenario: `${row.scenario} (${row.probe})`, check: name, pass, detail, kind });
  for (const row of rows) {
    // An anchor whose queue holds seconds (the reference plugin's TBF) may not answer one transaction
    // within the load: that is its result (the table says "ended after the load"), not a flawed run.
    if (row.bulkFlows > 0 && row.probe === "tcp_rr" && row.mode !== "reference-cni") {
      check("behaviour", row, "the probe ran inside the load", !row.probeOutlastedLoad, row.probeOutlastedLoad ? "netperf ended after the bulk: partly an idle Pod" : "ended before the bulk");
    }
    if (row.mode !== "per-flow" || row.bulkFlows === 0) continue;
    const tenMegabits = row.limitBitsPerSec <= 10_000_000;
    if (row.p99Ms === null || row.p50Ms === null) {
      check("behaviour", row, "the probe got answers", false, "not one answer within the run");
      continue;
    }
    const p99 = row.p99Ms;
    if (tenMegabits) check("target", row, "light-flow p99 <= 3 ms at 10M", p99 <= 3, `p99 ${p99.toFixed(2)} ms`);
    const slack = tenMegabits ? 2 : 0.5;
    if (row.idleP99Ms !== null) {
      check("target", row, `light-flow p99 <= idle p99 + ${slack} ms`, p99 <= row.idleP99Ms + slack, `p99 ${p99.toFixed(2)} ms, idle ${row.idleP99Ms.toFixed(2)} ms`);
    }
    // The same load with one timeline, same run: isolation must beat it by far (medians: robust to a hiccup).
    const single = rows.find((other) => other.mode === "single-timeline" && other.probe === row.probe && other.direction === row.direction && other.limitBitsPerSec === row.limitBitsPerSec && other.bulkFlows === row.bulkFlows && other.bulkProtocol === row.bulkProtocol && other.cc === row.cc);
    const singleP50 = single === undefined ? null : single.p50Ms ?? Number.POSITIVE_INFINITY;
    if (singleP50 !== null && singleP50 >= 5) {
      check("behaviour", row, "light-flow p50 under a quarter of one timeline's (same load, same run)", row.p50Ms * 4 <= singleP50, `p50 ${row.p50Ms.toFixed(2)} ms vs ${cell(single?.p50Ms ?? null, 2)} ms`);
    }
    if (row.probe !== "ping") continue; // one check per run for what both probes share
    if (row.jainIndex !== null && row.bulkFlows === 8 && row.cc === "cubic") check("target", row, "Jain's index >= 0.95 among 8 CUBIC streams", row.jainIndex >= 0.95, `J = ${row.jainIndex.toFixed(3)}`);
    const senderBound = row.offeredBitsPerSec !== null && row.offeredBitsPerSec < 1.05 * row.limitBitsPerSec;
    if (row.wireRatio !== null && senderBound) {
      check("behaviour", row, "the limit holds (not above it)", row.wireRatio <= 1.05, `wireRatio ${row.wireRatio.toFixed(4)}; the UDP sender offered only ${mbit(row.offeredBitsPerSec)} Mbit/s (the test kernel's CPU), so no rate target`);
    } else if (row.wireRatio !== null) {
      const detail = `wireRatio ${row.wireRatio.toFixed(4)}`;
      check("target", row, "wire rate 0.995-1.005 of the limit", row.wireRatio >= 0.995 && row.wireRatio <= 1.005, detail);
      check("behaviour", row, "the limit holds (0.85-1.05 on the wire)", row.wireRatio >= 0.85 && row.wireRatio <= 1.05, detail);
    }
    if (row.flowLimitDrops !== null) check("behaviour", row, "0 fq flow-limit drops", row.flowLimitDrops === 0, `${row.flowLimitDrops} flow-limit drops`);
  }
  return verdicts;
}

function judgeStreams(rows: readonly E2eRow[]): Verdict[] {
  const verdicts: Verdict[] = [];
  const byName = new Map(rows.map((row) => [row.scenario, row]));
  // The seed's checks, loose enough for a loaded machine: behaviour.
  const check = (row: E2eRow, name: string, pass: boolean, detail: string) => verdicts.push({ scenario: row.scenario, check: name, pass, detail, kind: "behaviour" });
  for (const row of rows) {
    if (row.status !== "measured") continue;
    if (row.scenario.startsWith("pacer ") && row.limitBitsPerSec !== null && row.goodputBitsPerSec !== null) {
      const ratio = row.goodputBitsPerSec / row.limitBitsPerSec;
      const detail = `${mbit(row.goodputBitsPerSec)} Mbit/s = ${ratio.toFixed(3)} of the limit`;
      // TCP payload is 0.956 of a wire rate at a 1500-byte MTU (docs/design.md, "The per-packet algorithm").
      verdicts.push({ scenario: row.scenario, check: "goodput 0.95-0.96 of the limit (the wire rate within 0.5%)", pass: ratio >= 0.95 && ratio <= 0.96, detail, kind: "target" });
      check(row, "goodput 0.80-1.00 of the limit", ratio >= 0.8 && ratio <= 1.0, detail);
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

/** The latency rows as one table, with the light probes side by side (pure). */
export function latencyMarkdown(rows: readonly LatencyRow[]): string[] {
  if (rows.length === 0) return [];
  const lines = [
    "", "## Light flows under the Pod's own load", "",
    "Probes from the limited Pod during its bulk load: netperf TCP_RR (1-byte request and response) and ping. wireRatio: bytes that left the shaping qdisc per second over the bulk's steady part, over the limit; Jain: the bulk TCP streams' shares.", "",
    "| mode | direction | limit | bulk | probe | p50 ms | p99 ms | idle p99 ms | RR trans/s | wireRatio | Jain | goodput Mbit/s | fq flow-limit drops |",
    "|---|---|---|---|---|---|---|---|---|---|---|---|---|",
  ];
  for (const row of rows) {
    const offered = row.offeredBitsPerSec === null ? "" : ` (offered ${mbit(row.offeredBitsPerSec)})`;
    const bulk = row.bulkFlows === 0 ? "idle" : row.bulkProtocol === "udp" ? `UDP at 2x${offered}` : `${row.bulkFlows} ${row.cc}`;
    const late = row.probeOutlastedLoad ? " (ended after the load)" : "";
    lines.push(`| ${row.mode} | ${row.direction} | ${mbit(row.limitBitsPerSec)} | ${bulk} | ${row.probe} | ${cell(row.p50Ms, 3)} | ${cell(row.p99Ms, 3)}${late} | ${cell(row.idleP99Ms, 3)} | ${cell(row.rrTransactionsPerSec, 0)} | ${cell(row.wireRatio, 4)} | ${cell(row.jainIndex, 3)} | ${mbit(row.goodputBitsPerSec)} | ${cell(row.flowLimitDrops, 0)} |`);
  }
  return lines;
}

/** The uplink rows as one table (pure). */
export function uplinkMarkdown(rows: readonly UplinkRow[]): string[] {
  if (rows.length === 0) return [];
  const lines = [
    "", "## The shared uplink: outside-cluster limits and budgets", "",
    "wireRatio: bytes that crossed the lab node's uplink (its counting qdisc) per second over the streams' steady part, over the limit; shares: each Pod's part of what the Pods' own qdiscs sent over the same window.", "",
    "| scenario | limit Mbit/s | Pods | goodput Mbit/s | per Pod Mbit/s | shares | wireRatio | notes |",
    "|---|---|---|---|---|---|---|---|",
  ];
  for (const row of rows) {
    lines.push(`| ${row.scenario} | ${mbit(row.limitBitsPerSec)} | ${row.pods} | ${mbit(row.goodputBitsPerSec)} | ${row.podGoodputBitsPerSec.map(mbit).join(" / ")} | ${row.shares.map((share) => share.toFixed(3)).join(" / ")} | ${cell(row.wireRatio, 4)} | ${row.notes.join("; ")} |`);
  }
  return lines;
}

export function toMarkdown(results: readonly E2eResult[], verdicts: readonly Verdict[], context: string): string {
  const rows = results.filter(isStreamRow);
  const lines = [
    "# pacer end-to-end results", "", context, "",
    "| scenario | limit Mbit/s | goodput Mbit/s | max 1 s Mbit/s | fq throttled | horizon drops | retransmits | cc | ping p50 ms | ping p99 ms | status |",
    "|---|---|---|---|---|---|---|---|---|---|---|",
  ];
  for (const row of rows) {
    lines.push(`| ${row.scenario} | ${mbit(row.limitBitsPerSec)} | ${mbit(row.goodputBitsPerSec)} | ${mbit(row.maxOneSecondBitsPerSec)} | ${cell(row.fqThrottled, 0)} | ${cell(row.horizonDrops, 0)} | ${cell(row.retransmits, 0)} | ${cell(row.cc)} | ${cell(row.pingP50Ms)} | ${cell(row.pingP99Ms)} | ${row.status} |`);
  }
  lines.push(...latencyMarkdown(results.filter(isLatencyRow)));
  lines.push(...uplinkMarkdown(results.filter(isUplinkRow)));
  lines.push(...costMarkdown(results.filter(isCostRow)));
  const notes = rows.filter((row) => row.notes.length > 0);
  if (notes.length > 0) {
    lines.push("", "## Notes", "");
    for (const row of notes) for (const note of row.notes) lines.push(`- ${row.scenario}: ${note}`);
  }
  lines.push("", "## Checks", "", "[behaviour]: what the test suite asserts too; [target]: the issues' accuracy and latency goals, measured here.", "");
  if (verdicts.length === 0) lines.push("- none ran");
  for (const verdict of verdicts) lines.push(`- ${verdict.pass ? "PASS" : "FAIL"} [${verdict.kind}] ${verdict.scenario}: ${verdict.check} (${verdict.detail})`);
  return `${lines.join("\n")}\n`;
}
