/**
 * The e2e suite's guest side: runs inside the test kernel (or on a host kernel with fq) as root, builds the
 * lab node, runs the scenarios and writes the rows as JSON to --out.
 *
 *   node dist/lab/e2e/guest-main.js --seconds 10 --out $PACER_LAB_EXCHANGE/e2e.json [--reduced]
 */
import { writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { buildNode } from "../node/index.js";
import { referencePlugin, type ScenarioContext } from "./baseline-scenarios.js";
import { referenceIngress } from "./ingress-scenarios.js";
import { pacerScenarios, SCENARIO_GROUPS, type ScenarioGroup } from "./pacer-scenarios.js";
import { isCostRow, isLatencyRow, isUplinkRow, type E2eResult } from "./rows.js";

function onlyGroups(text: string): Set<ScenarioGroup> {
  const groups = text.split(",").map((group) => group.trim());
  const unknown = groups.filter((group) => !(SCENARIO_GROUPS as readonly string[]).includes(group));
  if (unknown.length > 0) throw new Error(`--only ${unknown.join(",")}: not a scenario group (${SCENARIO_GROUPS.join(", ")})`);
  return new Set(groups as ScenarioGroup[]);
}

const log = (line: string) => console.log(`[e2e ${new Date().toISOString().slice(11, 23)}] ${line}`);

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      seconds: { type: "string", default: "10" },
      out: { type: "string" },
      reduced: { type: "boolean", default: false },
      repo: { type: "string", default: process.cwd() },
      only: { type: "string" },
    },
  });
  const only = values.only === undefined ? undefined : onlyGroups(values.only);
  const seconds = Number.parseInt(values.seconds ?? "10", 10);
  const prefix = `pl-${process.pid}`;
  const started = performance.now();
  const node = await buildNode({ prefix, stateDir: join(tmpdir(), `${prefix}-node`) });
  log(`node built in ${(performance.now() - started).toFixed(0)} ms (netns ${node.netns}, outside ${node.outsideIp})`);
  const rows: E2eResult[] = [];
  const context: ScenarioContext = { node, seconds, log };
  const record = (row: E2eResult) => {
    rows.push(row);
    if (isLatencyRow(row)) {
      const wire = row.wireRatio === null ? "-" : row.wireRatio.toFixed(4);
      log(`${row.scenario} (${row.probe}): p50/p99 ${row.p50Ms?.toFixed(3) ?? "-"}/${row.p99Ms?.toFixed(3) ?? "-"} ms (idle p99 ${row.idleP99Ms?.toFixed(3) ?? "-"}), RR ${row.rrTransactionsPerSec?.toFixed(0) ?? "-"}/s, wireRatio ${wire}, Jain ${row.jainIndex?.toFixed(3) ?? "-"}`);
      return;
    }
    if (isUplinkRow(row)) {
      log(`${row.scenario}: goodput ${fmt(row.goodputBitsPerSec)} Mbit/s (${row.podGoodputBitsPerSec.map(fmt).join(" / ")}), wireRatio ${row.wireRatio?.toFixed(4) ?? "-"}${row.notes.length > 0 ? `; ${row.notes.join("; ")}` : ""}`);
      return;
    }
    if (isCostRow(row)) return; // the cost scenarios log their own line
    log(`${row.scenario}: ${row.status}; goodput ${fmt(row.goodputBitsPerSec)} Mbit/s, max 1 s ${fmt(row.maxOneSecondBitsPerSec)}, throttled ${row.fqThrottled}, horizon drops ${row.horizonDrops}, retransmits ${row.retransmits}, ping p50/p99 ${row.pingP50Ms}/${row.pingP99Ms} ms`);
  };
  try {
    // The unlimited baseline ("pacer off") is measured with the pacer scenarios, interleaved with "pacer on".
    if (only === undefined || only.has("streams")) record(await referencePlugin(context, "cubic"));
    if (!values.reduced && (only === undefined || only.has("streams"))) {
      record(await referencePlugin(context, "bbr"));
      record(await referencePlugin(context, "cubic", 10_000_000, { parallel: 8 }));
      record(await referenceIngress(node, seconds));
    }
    for await (const row of pacerScenarios(context, { repoDir: values.repo ?? process.cwd(), reduced: values.reduced === true, ...(only === undefined ? {} : { only }) })) record(row);
  } finally {
    await node.destroy();
    if (values.out !== undefined) await writeFile(values.out, `${JSON.stringify(rows, null, 2)}\n`);
  }
  return 0;
}

const fmt = (bits: number | null): string => (bits === null ? "-" : (bits / 1e6).toFixed(2));

main().then((code) => { process.exitCode = code; }, (error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
