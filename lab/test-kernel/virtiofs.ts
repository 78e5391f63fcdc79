/**
 * The host's `/` for a qemu guest, read-only, through virtiofs. The cloud kernels have no 9p, and the C
 * virtiofsd (Debian's qemu-system-common, /usr/lib/qemu/virtiofsd) has no read-only option, so it shares a
 * private tmpfs made in a mount namespace of its own: root/ = a read-only bind of `/`, xchg/ = the run's
 * exchange directory (read-write: the command, its output files and exit code). The host's mount table
 * never changes, and the binds vanish with the namespace. `/` is one file system on the hosts this runs
 * on, so a non-recursive bind is the whole tree without /proc, /sys and /dev.
 *
 * cache=always: with the default (auto) the guest drops a file's pages at every open, so each exec reads
 * the binary and its libraries again through FUSE and the emulator translates their code again (130 ms
 * vs 17 ms per busybox exec, node's start 2.7 s vs 0.6 s). The share is read-only and lives one run.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { access, mkdir } from "node:fs/promises";
import { join } from "node:path";

export const VIRTIOFSD = "/usr/lib/qemu/virtiofsd";
/** The share's tag; the guest's init mounts it (guest-init.ts). */
export const VIRTIOFS_TAG = "pacer";

export interface Virtiofsd {
  process: ChildProcess;
  socket: string;
  /** Stops it by pid (it also exits by itself once qemu disconnects) and waits. */
  stop(): Promise<void>;
  log(): string;
}

export async function startVirtiofsd(runDir: string, exchangeDir: string): Promise<Virtiofsd> {
  const top = join(runDir, "share");
  const socket = join(runDir, "virtiofs.sock");
  await mkdir(top, { recursive: true });
  const script = [
    "set -e",
    'mount -t tmpfs -o mode=755,size=1m pacer-share "$1"',
    'mkdir "$1/root" "$1/xchg"',
    'mount --bind -o ro / "$1/root"',
    'mount --bind "$2" "$1/xchg"',
    `exec ${VIRTIOFSD} --socket-path="$3" -o source="$1" -o cache=always -o log_level=warn`,
  ].join("\n");
  const child = spawn("unshare", ["-m", "--propagation", "private", "--", "/bin/sh", "-c", script, "pacer-virtiofsd", top, exchangeDir, socket], { stdio: ["ignore", "pipe", "pipe"] });
  let log = "";
  child.stdout.setEncoding("utf8").on("data", (chunk: string) => { log += chunk; });
  child.stderr.setEncoding("utf8").on("data", (chunk: string) => { log += chunk; });
  const exited = new Promise<void>((resolve) => child.once("close", () => resolve()));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
    const timer = setTimeout(() => child.kill("SIGKILL"), 3000);
    await exited;
    clearTimeout(timer);
  };
  const deadline = Date.now() + 10_000;
  for (;;) {
    if (await access(socket).then(() => true, () => false)) break;
    if (child.exitCode !== null || Date.now() > deadline) {
      await stop();
      throw new Error(`start virtiofsd: no socket ${socket} after ${child.exitCode === null ? "10 s" : `exit ${child.exitCode}`}: ${log.trim()}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return { process: child, socket, stop, log: () => log };
}
