/** The test kernel: boot User-Mode Linux with fq and run a script inside, with live output. */
export { runInTestKernel, testKernelMissing, TestKernelError, UML_KERNEL, UML_MODULES_DIR } from "./test-kernel.js";
export type { TestKernelRun, TestKernelResult } from "./test-kernel.js";
export { DEFAULT_GUEST_MODULES, GUEST_EXCHANGE_DIR, shellQuote } from "./boot-script.js";
