/**
 * Runs a shell script as root inside a second kernel that has `fq`: Debian's User-Mode Linux.
 *
 * Why UML (docs/design.md, "Test kernels"): the host kernel has no `fq` and no modules, and
 * its KVM (KVM-PVM) cannot boot a stock kernel; qemu/TCG works but boots in ~5 s with 10-70 ms per
 * fork+exec. UML is one host process, needs no KVM and no disk image, boots in ~2 s, runs CPU-bound code
 * at native speed and gave results within 1% across repetitions. Its costs: one guest CPU, no BPF JIT,
 * no vmlinux BTF, HZ=100, ~25 ms per fork+exec — so guest scripts stay light and BPF is compiled on the host.
 *
 * The host's `/` is the guest's read-only lower layer (hostfs) under a tmpfs overlay: the guest sees the
 * repository, node and every tool at their host paths, and nothing it writes reaches the host except the
 * exchange directory (a fresh temp dir per run). Runs are independent: each has its own umid and uml_dir.
 *
 *   const result = await runInTestKernel({ script: "node --test dist/x.fq.test.js", cwd: repo,
 *                                          onOutput: (text) => process.stdout.write(text) });
 */
import { spawn } from "node:child_process";
import { chmod, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { repositoryRoot } from "../../src/bpf/native-binding.js";
import { commandMissing, fileMissing } from "../../src/testing/prerequisites.js";
import {
  DEFAULT_GUEST_MODULES, GUEST_EXCHANGE_DIR, MARKER_EXIT, MARKER_READY, commandScript, stage1Script, stage2Script,
} from "./boot-script.js";
import { ConsoleSplitter } from "./console.js";

export const UML_KERNEL = "/usr/bin/linux.uml";
export const UML_MODULES_DIR = "/usr/lib/uml/modules";
/** Lets UML save and restore FPU state on hosts with AVX-512/AMX (uml-xstate-shim.c says why). */
export const UML_XSTATE_SHIM = join(repositoryRoot, "build/lab/uml-xstate-shim.so");

export interface TestKernelRun {
  /** POSIX shell script run as root inside the guest (by the host's /bin/sh). */
  script: string;
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
  constructor(
    readonly code: "TEST_KERNEL_MISSING" | "TEST_KERNEL_TIMEOUT" | "TEST_KERNEL_CRASHED" | "TEST_KERNEL_ABORTED",
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = "TestKernelError";
  }
}

/** null when UML can run here, else what to install (for requirePrerequisites). */
export function testKernelMissing(): string | null {
  return (
    commandMissing("linux.uml", "user-mode-linux") ??
    fileMissing(UML_MODULES_DIR, "apt-get install user-mode-linux, or run scripts/setup.sh") ??
    fileMissing("/bin/busybox", "apt-get install busybox-static, or run scripts/setup.sh") ??
    fileMissing(UML_XSTATE_SHIM, "run scripts/build.sh (it builds the UML ptrace shim)")
  );
}

let runCounter = 0;

export async function runInTestKernel(run: TestKernelRun): Promise<TestKernelResult> {
  const missing = testKernelMissing();
  if (missing !== null) throw new TestKernelError("TEST_KERNEL_MISSING", `boot test kernel: missing ${missing}`);
  if (run.signal?.aborted === true) throw new TestKernelError("TEST_KERNEL_ABORTED", "boot test kernel: aborted before start");
  const exchangeDir = await mkdtemp(join(tmpdir(), `pacer-lab-${process.pid}-`));
  try {
    const bootOptions = { hostExchangeDir: exchangeDir, modules: run.modules ?? DEFAULT_GUEST_MODULES, upperSizeMiB: 2048 };
    await writeFile(join(exchangeDir, "stage1.sh"), stage1Script(bootOptions));
    await chmod(join(exchangeDir, "stage1.sh"), 0o755);
    await writeFile(join(exchangeDir, "stage2.sh"), stage2Script(bootOptions));
    await writeFile(join(exchangeDir, "command.sh"), commandScript(run.script, run.cwd ?? process.cwd(), { ...run.env, PACER_LAB_EXCHANGE: GUEST_EXCHANGE_DIR }));
    const umid = run.umid ?? `pacer-lab-${process.pid}-${runCounter++}`;
    const args = [
      `umid=${umid}`, `uml_dir=${exchangeDir}`, `mem=${run.memoryMiB ?? 1536}M`,
      "root=/dev/root", "rootfstype=hostfs", "rootflags=/", "ro", `init=${exchangeDir}/stage1.sh`,
      "quiet", "con=null", "con0=fd:0,fd:1",
    ];
    const result = await bootAndWait(args, run, exchangeDir);
    for (const name of run.collectFiles ?? []) {
      if (name.includes("/")) throw new Error(`collect ${name}: give a file name in the exchange directory, not a path`);
      const content = await readFile(join(exchangeDir, name), "utf8").catch(() => undefined);
      if (content !== undefined) result.files[name] = content;
    }
    return result;
  } finally {
    await rm(exchangeDir, { recursive: true, force: true });
  }
}

function bootAndWait(args: string[], run: TestKernelRun, exchangeDir: string): Promise<TestKernelResult> {
  const started = performance.now();
  let bootMs = Number.NaN;
  let consoleExitCode: number | undefined;
  const splitter = new ConsoleSplitter(MARKER_READY, MARKER_EXIT, {
    onReady: () => { bootMs = performance.now() - started; },
    onOutput: (text) => run.onOutput?.(text),
    onExit: (code) => { consoleExitCode = code; },
  });
  // detached: the kernel and its guest-process helpers share one process group we can stop as a whole.
  const child = spawn(UML_KERNEL, args, { stdio: ["ignore", "pipe", "pipe"], detached: true, env: { ...process.env, TMPDIR: exchangeDir, LD_PRELOAD: UML_XSTATE_SHIM } });
  child.stdout.setEncoding("utf8").on("data", (chunk: string) => splitter.push(chunk));
  let stderr = "";
  child.stderr.setEncoding("utf8").on("data", (chunk: string) => { stderr += chunk; });
  return new Promise((resolve, reject) => {
    let timedOut = false;
    let aborted = false;
    const stop = (signal: NodeJS.Signals) => {
      try { if (child.pid !== undefined) process.kill(-child.pid, signal); } catch { /* already gone */ }
    };
    const stopGently = () => {
      stop("SIGTERM");
      setTimeout(() => stop("SIGKILL"), 3000).unref();
    };
    const timer = setTimeout(() => {
      timedOut = true;
      stopGently();
    }, run.timeoutMs ?? 600_000);
    const onAbort = () => {
      aborted = true;
      stopGently();
    };
    run.signal?.addEventListener("abort", onAbort, { once: true });
    child.on("error", (error) => { clearTimeout(timer); reject(new TestKernelError("TEST_KERNEL_CRASHED", `start ${UML_KERNEL}: ${error.message}`, { cause: error })); });
    child.on("close", () => {
      clearTimeout(timer);
      run.signal?.removeEventListener("abort", onAbort);
      // Guest helper processes may outlive the kernel's main process when it dies abnormally.
      stop("SIGKILL");
      splitter.end();
      const wallMs = performance.now() - started;
      void readFile(join(exchangeDir, "exit-code"), "utf8").then((text) => Number.parseInt(text, 10), () => undefined).then((fileExitCode) => {
        const exitCode = consoleExitCode ?? fileExitCode;
        if (aborted) {
          reject(new TestKernelError("TEST_KERNEL_ABORTED", "run in test kernel: aborted; the guest was stopped"));
        } else if (timedOut) {
          reject(new TestKernelError("TEST_KERNEL_TIMEOUT", `run in test kernel: no exit after ${run.timeoutMs ?? 600_000} ms; raise timeoutMs or look at the output:\n${tail(splitter.bootLog + splitter.output)}`));
        } else if (exitCode === undefined || Number.isNaN(exitCode)) {
          reject(new TestKernelError("TEST_KERNEL_CRASHED", `run in test kernel: the guest stopped without an exit code; its console and stderr:\n${tail(splitter.bootLog + splitter.output + stderr)}`));
        } else {
          resolve({ exitCode, bootMs, wallMs, output: splitter.output, bootLog: splitter.bootLog, files: {} });
        }
      });
    });
  });
}

const tail = (text: string): string => text.split("\n").slice(-40).join("\n");
