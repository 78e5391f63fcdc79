/**
 * The qemu kernels' initramfs, pure: which modules reach the root (resolved from modules.dep, dependencies
 * first, built-ins skipped), the file list, and the cpio archive in the kernel's "newc" format
 * (Documentation/driver-api/early-userspace/buffer-format.rst). Uncompressed on purpose: decompressing
 * under software emulation costs more than reading a few MB more.
 *
 * Written here rather than by cpio(1) so a character device (/dev/console, which the kernel needs before
 * devtmpfs is mounted) goes into the archive without mknod on the host, and the list is unit-tested.
 */

/** One file in the archive; paths are relative ("bin/busybox"). */
export type InitramfsEntry =
  | { path: string; type: "dir"; mode?: number }
  | { path: string; type: "file"; mode?: number; data: Buffer }
  | { path: string; type: "symlink"; target: string }
  | { path: string; type: "chardev"; mode?: number; major: number; minor: number };

const S_IFDIR = 0o040000;
const S_IFREG = 0o100000;
const S_IFLNK = 0o120000;
const S_IFCHR = 0o020000;

const hex8 = (value: number): string => value.toString(16).padStart(8, "0");
const pad4 = (length: number): Buffer => Buffer.alloc((4 - (length % 4)) % 4);

function record(ino: number, mode: number, name: string, data: Buffer, rdev: [number, number] = [0, 0]): Buffer {
  const nameBytes = Buffer.from(`${name}\0`, "utf8");
  const fields = [ino, mode, 0, 0, (mode & S_IFDIR) === S_IFDIR ? 2 : 1, 0, data.length, 0, 0, rdev[0], rdev[1], nameBytes.length, 0];
  const header = Buffer.from(`070701${fields.map(hex8).join("")}`, "ascii");
  return Buffer.concat([header, nameBytes, pad4(header.length + nameBytes.length), data, pad4(data.length)]);
}

/** The archive (pure): every entry in order, then the trailer. Parents must come before children. */
export function cpioNewc(entries: readonly InitramfsEntry[]): Buffer {
  const parts = entries.map((entry, index) => {
    const ino = index + 1;
    switch (entry.type) {
      case "dir": return record(ino, S_IFDIR | (entry.mode ?? 0o755), entry.path, Buffer.alloc(0));
      case "file": return record(ino, S_IFREG | (entry.mode ?? 0o644), entry.path, entry.data);
      case "symlink": return record(ino, S_IFLNK | 0o777, entry.path, Buffer.from(entry.target, "utf8"));
      case "chardev": return record(ino, S_IFCHR | (entry.mode ?? 0o600), entry.path, Buffer.alloc(0), [entry.major, entry.minor]);
    }
  });
  return Buffer.concat([...parts, record(0, 0, "TRAILER!!!", Buffer.alloc(0))]);
}

/** modules.dep's module name of a path: file names mix - and _ (virtio-rng.ko is virtio_rng). */
export const moduleNameOf = (path: string): string => (path.split("/").pop() ?? path).replace(/\.ko(\.xz|\.zst|\.gz)?$/, "").replaceAll("-", "_");

/**
 * The modules to insmod, in load order (dependencies first), for `wanted` (pure). Built-in modules
 * (modules.builtin) are skipped; one neither there nor in modules.dep is an error that names it.
 */
export function resolveModules(wanted: readonly string[], modulesDep: string, modulesBuiltin: string): string[] {
  const deps = new Map<string, { path: string; needs: string[] }>();
  for (const line of modulesDep.split("\n")) {
    const colon = line.indexOf(":");
    if (colon < 0) continue;
    const path = line.slice(0, colon).trim();
    const needs = line.slice(colon + 1).trim().split(/\s+/).filter((dep) => dep !== "");
    deps.set(moduleNameOf(path), { path, needs: needs.map(moduleNameOf) });
  }
  const builtin = new Set(modulesBuiltin.split("\n").filter((line) => line.trim() !== "").map(moduleNameOf));
  const order: string[] = [];
  const seen = new Set<string>();
  const visit = (name: string) => {
    const key = name.replaceAll("-", "_");
    if (seen.has(key)) return;
    seen.add(key);
    const entry = deps.get(key);
    if (entry === undefined) {
      if (builtin.has(key)) return;
      throw new Error(`initramfs: module ${key} is neither in modules.dep nor built in`);
    }
    for (const need of entry.needs) visit(need);
    order.push(entry.path);
  };
  for (const name of wanted) visit(name);
  return order;
}

/** What stage 1 needs before the root exists: the virtiofs share (virtio-pci, FUSE) and the overlay. */
export const ROOT_MODULES: readonly string[] = ["virtio_pci", "fuse", "virtiofs", "overlay"];

/**
 * The archive's entries (pure): busybox (static) as /bin/busybox and /bin/sh, /dev/console, the mount
 * points stage 1 uses, the modules under lib/modules/<release>/ with /modules.list in load order, /init.
 */
export function initramfsEntries(options: {
  release: string;
  busybox: Buffer;
  init: string;
  /** Module paths relative to the module tree (from resolveModules) and their contents. */
  modules: ReadonlyArray<{ path: string; data: Buffer }>;
}): InitramfsEntry[] {
  const entries: InitramfsEntry[] = [];
  const dirs = new Set<string>();
  const dir = (path: string) => {
    const parts = path.split("/");
    for (let length = 1; length <= parts.length; length++) {
      const prefix = parts.slice(0, length).join("/");
      if (dirs.has(prefix)) continue;
      dirs.add(prefix);
      entries.push({ path: prefix, type: "dir" });
    }
  };
  for (const path of ["bin", "dev", "proc", "sys", "mnt/share", "mnt/upper", "newroot"]) dir(path);
  entries.push({ path: "bin/busybox", type: "file", mode: 0o755, data: options.busybox });
  entries.push({ path: "bin/sh", type: "symlink", target: "busybox" });
  entries.push({ path: "dev/console", type: "chardev", major: 5, minor: 1 });
  const listed: string[] = [];
  for (const module of options.modules) {
    const path = `lib/modules/${options.release}/${module.path}`;
    dir(path.slice(0, path.lastIndexOf("/")));
    entries.push({ path, type: "file", data: module.data });
    listed.push(`/${path}`);
  }
  entries.push({ path: "modules.list", type: "file", data: Buffer.from(listed.map((line) => `${line}\n`).join("")) });
  entries.push({ path: "init", type: "file", mode: 0o755, data: Buffer.from(options.init) });
  return entries;
}
