/**
 * The demo's guest side, run inside the test kernel by `pacer demo` (src/demo/run-demo.ts):
 *
 *   node dist/src/demo/guest.js --seconds 10 --repo /work/main --out "$PACER_LAB_EXCHANGE/demo-result.json"
 *
 * Progress goes to stdout as one `@@pacer-demo {json}` line per event (the host turns them into the
 * progress display); the measurements go to --out in the exchange directory (guest writes elsewhere land
 * in the guest's tmpfs and vanish). Exit 0 when measured, 1 with the error on stderr otherwise.
 */
import { writeFile } from "node:fs/promises";
import { parseArgs } from "node:util";
import { isProgramEntry } from "./entry.js";
import { runDemoExperiment, type DemoEvent } from "./experiment.js";

export const GUEST_EVENT_MARKER = "@@pacer-demo ";
export const GUEST_RESULT_FILE = "demo-result.json";

/** Parses one guest output line into an event, or null for any other line (pure). */
export function parseGuestEvent(line: string): DemoEvent | null {
  if (!line.startsWith(GUEST_EVENT_MARKER)) return null;
  try {
    return JSON.parse(line.slice(GUEST_EVENT_MARKER.length)) as DemoEvent;
  } catch {
    return null;
  }
}

async function main(): Promise<number> {
  const { values } = parseArgs({ options: { seconds: { type: "string", default: "10" }, repo: { type: "string" }, out: { type: "string" } } });
  if (values.repo === undefined || values.out === undefined) throw new Error("usage: guest.js --seconds N --repo DIR --out FILE");
  const measured = await runDemoExperiment({
    repoDir: values.repo, seconds: Number.parseInt(values.seconds ?? "10", 10), prefix: `pm-${process.pid}`,
    onEvent: (event) => console.log(`${GUEST_EVENT_MARKER}${JSON.stringify(event)}`),
  });
  await writeFile(values.out, `${JSON.stringify(measured)}\n`);
  return 0;
}

if (isProgramEntry(import.meta.url)) {
  main().then((code) => { process.exitCode = code; }, (error: unknown) => {
    console.error(`pacer demo (guest): ${error instanceof Error ? error.message : String(error)}`);
    process.exitCode = 1;
  });
}
