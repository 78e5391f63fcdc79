/**
 * `npm run e2e:matrix`: the core scenarios on every test kernel (lab/test-kernel/kernels.ts), one after
 * the other; writes bench/results/matrix.json and matrix.md and the README's supported-kernels table.
 *
 *   node dist/lab/e2e/matrix/main.js [--kernels all|uml-6.1,qemu-5.10] [--seconds 10]
 *
 * A subset writes bench/results/matrix-partial.json/.md and leaves the README alone, so a partial run never
 * replaces the published matrix.
 */
import { parseArgs } from "node:util";
import { parseKernelList, TEST_KERNEL_NAMES } from "../../test-kernel/index.js";
import { runMatrix } from "./matrix-run.js";

const { values } = parseArgs({ options: { kernels: { type: "string", default: "all" }, seconds: { type: "string", default: "10" } } });
const kernels = parseKernelList(values.kernels ?? "all");
const whole = TEST_KERNEL_NAMES.every((name) => kernels.includes(name));
runMatrix({ kernels, seconds: Number.parseInt(values.seconds ?? "10", 10), base: whole ? "matrix" : "matrix-partial", updateReadme: whole }).then(
  (code) => { process.exitCode = code; },
  (error: unknown) => { console.error(error); process.exitCode = 1; },
);
