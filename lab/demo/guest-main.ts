/**
 * The demo's guest side, run inside the test kernel by `./run demo` (lab/demo/run-demo.ts):
 *
 *   node dist/lab/demo/guest-main.js --seconds 10 --repo /work/main --out "$PACER_LAB_EXCHANGE/demo-result.json"
 *
 * Progress goes to stdout as one `@@pacer-demo {json}` line per event (the host turns them into the
 * progress display); the measurements go to --out in the exchange directory (guest writes elsewhere land
 * in the guest's tmpfs and vanish). Exit 0 when measured, 1 with the error on stderr otherwise.
 */
import { writeFile } from "node:fs/promises";
import { parseArgs } from "node:util";
import { runDemoExperiment } from "./experiment.js";
import { GUEST_EVENT_MARKER } from "./guest-events.js";

async function main(): Promise<number> {
  const { values } = parseArgs({ options: { seconds: { type: "string", default: "10" }, repo: { type: "string" }, out: { type: "string" } } });
  if (values.repo === undefined || values.out === undefined) throw new Error("usage: guest-main.js --seconds N --repo DIR --out FILE");
  const measured = await runDemoExperiment({
    repoDir: values.repo, seconds: Number.parseInt(values.seconds ?? "10", 10), prefix: `pm-${process.pid}`,
    onEvent: (event) => console.log(`${GUEST_EVENT_MARKER}${JSON.stringify(event)}`),
  });
  await writeFile(values.out, `${JSON.stringify(measured)}\n`);
  return 0;
}

main().then((code) => { process.exitCode = code; }, (error: unknown) => {
  console.error(`demo (guest): ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 1;
});
