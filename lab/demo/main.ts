/**
 * `./run demo [--json] [--seconds N] [--chart PATH]` (also `npm run demo -- …`): the seed's experiment, from
 * the laboratory. The product's `pacer` CLI has no demo: the image carries none of what it needs (a test
 * kernel, iperf3, CNI plugins).
 */
import { run } from "./command.js";

run(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    console.error(`demo: ${error instanceof Error ? error.message : String(error)}`);
    process.exitCode = 1;
  },
);
