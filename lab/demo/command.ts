/**
 * `./run demo [--json] [--seconds N] [--chart PATH]`: the seed's experiment in one command — a node with the
 * netperf-server Pod annotated 10M and netperf-client, pacer enforcing, a TCP stream from server to client
 * with the annotation and after removing it live; prints `pacer status`, `pacer list`, the results and
 * latency under load, and writes a throughput chart (SVG). Progress goes to stderr.
 * Exit 0 when the limited run lands within 0.9-1.0 of the limit and the unlimited run is far above it;
 * 1 otherwise (with what went wrong); 2 usage error; 130 interrupted (everything created is removed).
 */
import { parseDemoArgs, type DemoOptions } from "./args.js";
import { demoJson, formatResultsTable } from "./report.js";
import { runDemo, type DemoOutcome } from "./run-demo.js";

const HELP = `usage: ./run demo [--json] [--seconds N] [--chart PATH]

Builds a node (inside User-Mode Linux when this kernel has no fq), creates the seed's netperf-server
(annotated kubernetes.io/egress-bandwidth: 10M) and netperf-client Pods, runs pacer, and measures a TCP
stream from netperf-server to netperf-client with the annotation and after removing it (live, same Pod).
Needs root (it creates network namespaces); everything it creates is removed, also on Ctrl-C.

  --seconds N   length of each stream (default 10)
  --chart PATH  where to write the throughput chart (default ./pacer-demo.svg)
  --json        print only the results as JSON on stdout (progress stays on stderr)

Exit status: 0 the limit held (0.9-1.0 of 10M) and the unlimited run was far above it; 1 otherwise;
2 usage error; 130 interrupted.`;

export async function run(args: string[]): Promise<number> {
  const options = parseDemoArgs(args, process.cwd());
  if (typeof options === "string") {
    console.error(`./run demo: ${options}\n\n${HELP}`);
    return 2;
  }
  if (options.help) {
    console.log(HELP);
    return 0;
  }
  if (process.getuid?.() !== 0) {
    console.error("demo: run it as root (it creates network namespaces and loads BPF programs), e.g. `sudo ./run demo`");
    return 1;
  }
  const controller = new AbortController();
  const interrupt = (signal: NodeJS.Signals) => {
    if (controller.signal.aborted) return;
    process.stderr.write(`\ndemo: ${signal}: stopping and cleaning up…\n`);
    controller.abort();
  };
  process.on("SIGINT", interrupt);
  process.on("SIGTERM", interrupt);
  try {
    const outcome = await runDemo({
      seconds: options.seconds, chartPath: options.chartPath, signal: controller.signal,
      onProgress: (line) => process.stderr.write(`${line}\n`),
    });
    print(outcome, options);
    return outcome.verdict.pass ? 0 : 1;
  } catch (error) {
    if (controller.signal.aborted) {
      console.error("demo: interrupted; everything it created was removed");
      return 130;
    }
    console.error(`./run demo: ${(error as Error).message}`);
    return 1;
  } finally {
    process.off("SIGINT", interrupt);
    process.off("SIGTERM", interrupt);
  }
}

function print({ measured, context, verdict }: DemoOutcome, options: DemoOptions): void {
  if (options.json) {
    console.log(JSON.stringify(demoJson(measured, context, verdict), null, 2));
    return;
  }
  const seconds = (ms: number | null) => (ms === null ? "-" : `${(ms / 1000).toFixed(1)} s`);
  const where = context.testKernelReason === null ? `host kernel ${context.hostKernelRelease}` : `test kernel ${measured.kernelRelease} (User-Mode Linux), booted in ${seconds(context.bootMs)}`;
  console.log([
    "",
    "$ pacer status",
    measured.statusText,
    "",
    "$ pacer list",
    measured.listText,
    "",
    `Results: ${measured.seconds} s TCP stream netperf-server → netperf-client (receiver-side goodput), on the ${where}`,
    formatResultsTable(measured),
    "",
    `The limit was enforced ${measured.limitAppliedMs.toFixed(0)} ms after annotating, and gone ${measured.limitRemovedMs.toFixed(0)} ms after the annotation was removed (${measured.samePodAfterEdit ? "same Pod, not recreated" : "the Pod was recreated!"}).`,
    `Chart: ${context.chartPath}`,
    `Total: ${seconds(context.wallMs)}`,
    verdict.pass
      ? `PASS: ${measured.limit} held at ${(measured.limited.goodputBitsPerSec / 1e6).toFixed(2)} Mbit/s of goodput (the limit is a wire rate: headers take ~5%); without the annotation ${(measured.unlimited.goodputBitsPerSec / 1e6).toFixed(0)} Mbit/s.`
      : `FAIL:\n${verdict.problems.map((problem) => `  - ${problem}`).join("\n")}`,
  ].join("\n"));
}
