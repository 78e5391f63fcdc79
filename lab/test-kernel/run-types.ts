/** What a test-kernel run takes and returns, for every kind of test kernel (test-kernel.ts dispatches). */
import type { TestKernelName } from "./kernels.js";

export interface TestKernelRun {
  /** POSIX shell script run as root inside the guest (by the host's /bin/sh). */
  script: string;
  /** Which kernel (lab/test-kernel/kernels.ts); default uml-6.1. */
  kernel?: TestKernelName;
  /** vCPUs for a qemu kernel (default: the catalogue's, 2); UML has one. */
  cpus?: number;
  /** Working directory inside the guest (host paths are the same there); default: this process's cwd. */
  cwd?: string;
  env?: Record<string, string>;
  memoryMiB?: number;
  modules?: readonly string[];
  /** The guest is stopped (and the run rejected) after this long; default 10 minutes. */
  timeoutMs?: number;
  /** Receives the command's console output (stdout and stderr merged) as it arrives. */
  onOutput?: (text: string) => void;
  /**
   * Files the guest writes into its exchange directory ($PACER_LAB_EXCHANGE inside the guest) to hand
   * back: their contents are returned in `files` (missing ones are left out).
   */
  collectFiles?: readonly string[];
  /**
   * Aborting stops the guest (SIGTERM, then SIGKILL, to the kernel's process group) and rejects the run
   * with TEST_KERNEL_ABORTED; the exchange directory is removed either way. For Ctrl-C in `./run demo`.
   */
  signal?: AbortSignal;
  /** The UML umid (unique per concurrent run); default `pacer-lab-<pid>-<n>`. */
  umid?: string;
}

export interface TestKernelResult {
  exitCode: number;
  /** From starting the kernel to the command starting (boot, mounts, module loads). */
  bootMs: number;
  /** From starting the kernel to it exiting. */
  wallMs: number;
  /** The command's console output. */
  output: string;
  /** The kernel's and init's output before the command started. */
  bootLog: string;
  /** The collected files by name. */
  files: Record<string, string>;
}

export class TestKernelError extends Error {
  /** The guest died while booting, before the command started: nothing of the command's ran. */
  readonly beforeCommand: boolean;
  constructor(
    readonly code: "TEST_KERNEL_MISSING" | "TEST_KERNEL_TIMEOUT" | "TEST_KERNEL_CRASHED" | "TEST_KERNEL_ABORTED",
    message: string,
    options?: { cause?: unknown; beforeCommand?: boolean },
  ) {
    super(message, options);
    this.beforeCommand = options?.beforeCommand ?? false;
    this.name = "TestKernelError";
  }
}
