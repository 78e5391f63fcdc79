/**
 * One guest kernel as a host process (UML's linux.uml or qemu), its console split into boot log, the
 * command's output and its exit code (console.ts), with a timeout and an abort that stop its whole process
 * group. The exit code comes from the console marker, else from the exchange directory's exit-code file.
 */
import { spawn } from "node:child_process";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { MARKER_EXIT, MARKER_READY } from "./boot-script.js";
import { ConsoleSplitter, consoleExcerpt } from "./console.js";
import { TestKernelError, type TestKernelResult, type TestKernelRun } from "./run-types.js";

export interface GuestProcess {
  command: string;
  args: readonly string[];
  env: NodeJS.ProcessEnv;
  /** The run's exchange directory (exit-code file). */
  exchangeDir: string;
}

export function runGuestProcess(guest: GuestProcess, run: TestKernelRun): Promise<TestKernelResult> {
  const started = performance.now();
  let bootMs = Number.NaN;
  let consoleExitCode: number | undefined;
  const splitter = new ConsoleSplitter(MARKER_READY, MARKER_EXIT, {
    onReady: () => { bootMs = performance.now() - started; },
    onOutput: (text) => run.onOutput?.(text),
    onExit: (code) => { consoleExitCode = code; },
  });
  // detached: the kernel and its helper processes share one process group we can stop as a whole.
  const child = spawn(guest.command, [...guest.args], { stdio: ["ignore", "pipe", "pipe"], detached: true, env: guest.env });
  child.stdout.setEncoding("utf8").on("data", (chunk: string) => splitter.push(chunk));
  let stderr = "";
  child.stderr.setEncoding("utf8").on("data", (chunk: string) => { stderr += chunk; });
  const timeoutMs = run.timeoutMs ?? 600_000;
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
    }, timeoutMs);
    const onAbort = () => {
      aborted = true;
      stopGently();
    };
    run.signal?.addEventListener("abort", onAbort, { once: true });
    child.on("error", (error) => { clearTimeout(timer); reject(new TestKernelError("TEST_KERNEL_CRASHED", `start ${guest.command}: ${error.message}`, { cause: error })); });
    child.on("close", () => {
      clearTimeout(timer);
      run.signal?.removeEventListener("abort", onAbort);
      // Guest helper processes may outlive the kernel's main process when it dies abnormally.
      stop("SIGKILL");
      splitter.end();
      const wallMs = performance.now() - started;
      void readFile(join(guest.exchangeDir, "exit-code"), "utf8").then((text) => Number.parseInt(text, 10), () => undefined).then((fileExitCode) => {
        const exitCode = consoleExitCode ?? fileExitCode;
        if (aborted) {
          reject(new TestKernelError("TEST_KERNEL_ABORTED", "run in test kernel: aborted; the guest was stopped"));
        } else if (timedOut) {
          reject(new TestKernelError("TEST_KERNEL_TIMEOUT", `run in test kernel: no exit after ${timeoutMs} ms; raise timeoutMs or look at the output:\n${tail(splitter.bootLog + splitter.output)}`));
        } else if (exitCode === undefined || Number.isNaN(exitCode)) {
          reject(new TestKernelError("TEST_KERNEL_CRASHED", `run in test kernel: the guest stopped without an exit code; its console and stderr:\n${tail(splitter.bootLog + splitter.output + stderr)}`, { beforeCommand: Number.isNaN(bootMs) }));
        } else {
          resolve({ exitCode, bootMs, wallMs, output: splitter.output, bootLog: splitter.bootLog, files: {} });
        }
      });
    });
  });
}

const tail = (text: string): string => consoleExcerpt(text);
