/**
 * Runs one external tool (ip, tc, python3) for a probe: never throws, never a shell, always bounded in time.
 * A probe reads the outcome; only a missing tool or a timeout is "could not probe".
 */
import { execFile } from "node:child_process";

export interface CommandOutcome {
  /** Exit code; null when the command could not run or was killed (see `failure`). */
  code: number | null;
  stdout: string;
  stderr: string;
  /** Why it did not run to completion: "tc not found", "timed out after 5000 ms". */
  failure: string | null;
}

export function runCommand(file: string, args: readonly string[], timeoutMs = 5000): Promise<CommandOutcome> {
  return new Promise((resolve) => {
    // execFile kills only the child it started (by pid) when the timeout expires.
    execFile(file, args, { timeout: timeoutMs, encoding: "utf8" }, (error, stdout, stderr) => {
      if (error === null) return resolve({ code: 0, stdout, stderr, failure: null });
      const errno = (error as NodeJS.ErrnoException).code;
      if (errno === "ENOENT") return resolve({ code: null, stdout, stderr, failure: `${file} not found (install it)` });
      if (error.killed) return resolve({ code: null, stdout, stderr, failure: `${file} timed out after ${timeoutMs} ms` });
      resolve({ code: typeof error.code === "number" ? error.code : 1, stdout, stderr, failure: null });
    });
  });
}

/** The last meaningful line a tool printed, for a one-line note. */
export function lastLine(text: string): string {
  const lines = text.split("\n").map((line) => line.trim()).filter((line) => line.length > 0);
  return lines[lines.length - 1] ?? "(no output)";
}
