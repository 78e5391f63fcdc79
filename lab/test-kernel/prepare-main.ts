/**
 * `node dist/lab/test-kernel/prepare-main.js <kernel>...`: prepares fetched kernels (prepare.ts); run by
 * scripts/fetch-kernels.sh after it fetched the packages. Prints one line per kernel.
 */
import { pacerCacheRoot, testKernelSpec } from "./kernels.js";
import { prepareKernel } from "./prepare.js";

async function main(names: string[]): Promise<void> {
  for (const name of names) {
    const started = performance.now();
    const { dir, made } = await prepareKernel(testKernelSpec(name), pacerCacheRoot());
    console.log(`${name}: ${made ? `prepared in ${((performance.now() - started) / 1000).toFixed(1)} s` : "ready"} (${dir})`);
  }
}

main(process.argv.slice(2)).catch((error: unknown) => {
  console.error(`prepare test kernel: ${(error as Error).message}`);
  process.exitCode = 1;
});
