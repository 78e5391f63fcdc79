/** The test kernels: boot one (User-Mode Linux or a Debian cloud kernel under qemu) and run a script inside, with live output. */
export { runInTestKernel, testKernelMissing, TestKernelError, UML_KERNEL, UML_MODULES_DIR } from "./test-kernel.js";
export type { TestKernelRun, TestKernelResult } from "./test-kernel.js";
export { DEFAULT_GUEST_MODULES, GUEST_EXCHANGE_DIR, shellQuote } from "./boot-script.js";
export {
  DEFAULT_TEST_KERNEL, TEST_KERNELS, TEST_KERNEL_NAMES, isTestKernelName, parseKernelList, testKernelSpec,
} from "./kernels.js";
export type { TestKernelName, TestKernelSpec } from "./kernels.js";
