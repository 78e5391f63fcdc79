/**
 * `node dist/lab/e2e/matrix/readme-table.js`: rewrites README.md's supported-kernels table from
 * bench/results/matrix.json (npm run e2e:matrix does this after a whole run; this redoes it alone).
 */
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { REPO_DIR } from "../../repository.js";
import { supportedKernelsTable, withSupportedKernels, type Matrix } from "./matrix-rows.js";

const matrix = JSON.parse(await readFile(join(REPO_DIR, "bench/results/matrix.json"), "utf8")) as Matrix;
const readmePath = join(REPO_DIR, "README.md");
await writeFile(readmePath, withSupportedKernels(await readFile(readmePath, "utf8"), supportedKernelsTable(matrix)));
console.log(`README.md: supported kernels from bench/results/matrix.json (${matrix.kernels.length} kernels)`);
