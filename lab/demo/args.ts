/** `./run demo` options from argv (pure): --json, --seconds N, --chart PATH, --help. */
import { resolve } from "node:path";
import { parseArgs } from "node:util";

export interface DemoOptions {
  json: boolean;
  /** Length of each measured stream. */
  seconds: number;
  /** Absolute path of the SVG chart, on the host. */
  chartPath: string;
  help: boolean;
}

export const DEFAULT_CHART_FILE = "pacer-demo.svg";
export const DEFAULT_SECONDS = 10;

/** The options, or a usage error as a sentence. Relative chart paths are taken from `cwd`. */
export function parseDemoArgs(args: readonly string[], cwd: string): DemoOptions | string {
  let values;
  try {
    ({ values } = parseArgs({
      args: [...args],
      options: {
        json: { type: "boolean", default: false },
        seconds: { type: "string" },
        chart: { type: "string" },
        help: { type: "boolean", short: "h", default: false },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (error) {
    return (error as Error).message;
  }
  let seconds = DEFAULT_SECONDS;
  if (values.seconds !== undefined) {
    if (!/^\d+$/.test(values.seconds)) return `--seconds ${values.seconds}: give a whole number of seconds (2-60)`;
    seconds = Number.parseInt(values.seconds, 10);
    if (seconds < 2 || seconds > 60) return `--seconds ${seconds}: give 2-60 (a stream shorter than 2 s has no steady state)`;
  }
  if (values.chart === "") return "--chart: give a file path for the SVG";
  return {
    json: values.json === true,
    seconds,
    chartPath: resolve(cwd, values.chart ?? DEFAULT_CHART_FILE),
    help: values.help === true,
  };
}
