/**
 * The container image, built and run: scripts/build-image.sh builds ./Dockerfile with buildah on a base made
 * from Debian packages and the npm registry (no image can be pulled here); then the image runs `pacer check`
 * and `pacer agent --help`, and its file tree is searched for test code and the laboratory, which must not be
 * there. The commands run in a container of the image with `buildah run --isolation=chroot`: podman's OCI
 * runtime (crun) cannot start containers in this machine's sandbox (setrlimit RLIMIT_NPROC: Operation not
 * permitted), and chroot isolation has no namespaces to make, so `pacer check` answers "unavailable" (it cannot
 * add a network namespace there) — a verdict, which is what is asked: the image's code runs.
 */
import { spawn } from "node:child_process";
import { join } from "node:path";
import { REPO_DIR } from "../repository.js";
import { commandMissing } from "../../src/testing/prerequisites.js";

export interface ImageReport {
  built: boolean;
  sizeBytes: number | null;
  checkRan: boolean;
  /** pacer check's last line (its verdict) and exit code, `agent --help`'s first line, test files found. */
  detail: string;
}

export const imageToolsMissing = (): string | null =>
  commandMissing("buildah", "buildah") ?? commandMissing("podman", "podman") ?? commandMissing("debootstrap", "debootstrap") ?? commandMissing("npm", "npm");

function run(file: string, args: string[], onOutput?: (text: string) => void): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { cwd: REPO_DIR, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => {
      stderr += chunk;
      onOutput?.(chunk);
    });
    child.once("error", reject);
    child.once("close", (code) => resolve({ code, stdout, stderr }));
  });
}

export async function buildAndRunImage(options: { tag?: string; onOutput?: (text: string) => void } = {}): Promise<ImageReport> {
  const tag = options.tag ?? "localhost/pacer:dev";
  const build = await run("bash", [join(REPO_DIR, "scripts", "build-image.sh"), tag], options.onOutput);
  const size = Number(build.stdout.trim().split("\n").at(-1));
  if (build.code !== 0 || !Number.isFinite(size)) {
    return { built: false, sizeBytes: null, checkRan: false, detail: `scripts/build-image.sh: exit ${build.code}: ${build.stderr.trim().split("\n").slice(-5).join(" | ")}` };
  }
  const container = (await run("buildah", ["from", "--pull=never", tag])).stdout.trim();
  const inImage = (args: string[]) => run("buildah", ["run", "--isolation=chroot", "--network=host", container, "--", ...args]);
  const check = await inImage(["pacer", "check"]);
  const verdict = check.stdout.trim().split("\n").filter((line) => line.startsWith("EDT:")).at(-1) ?? "";
  const help = await inImage(["pacer", "agent", "--help"]);
  const found = await inImage(["sh", "-c",
    "find / -xdev \\( -name '*.test.js' -o -path '*/pacer/lab' -o -path '*/pacer/bench' -o -path '*/testing/*' -o -path '*/dist/lab' \\) -print 2>/dev/null | grep -v node_modules | head -5"]);
  await run("buildah", ["rm", container]);
  const testFiles = found.stdout.trim();
  // exit 0: EDT available; 1: unavailable with a reason — both are pacer check's verdict, not a crash
  const checkRan = (check.code === 0 || check.code === 1) && verdict !== "" && help.code === 0 && testFiles === "";
  return {
    built: true, sizeBytes: size, checkRan,
    detail: `pacer check (exit ${check.code}): "${verdict}"; pacer agent --help: "${help.stdout.split("\n")[0] ?? ""}" (exit ${help.code}); test code or laboratory in the image: ${testFiles === "" ? "none" : testFiles.replaceAll("\n", ", ")}`,
  };
}
