/**
 * User-Mode Linux 5.10's root: a "skeleton" instead of an overlay.
 *
 * On 5.10 an overlayfs whose lower layer is the hostfs root mounts and lists files but cannot open them
 * (ENOENT): hostfs_open() there builds the host path from the file's dentry, which for a file opened
 * through overlayfs is the overlay's (later kernels open the real inode; UML 6.1 works). So the guest's
 * root is a tmpfs that holds a read-only bind of every entry of the host's `/` (the hostfs superblock is
 * mounted `ro`, so every bind is read-only), the same one level down for /var, /var/lib and /root (so
 * /var/lib/cni and ~/.kube can be created, in RAM), /lib as a real directory of /usr/lib's entries (so
 * /lib/modules/<release> can be the package's module tree), a copy of /etc (writable), and fresh tmpfs
 * for /run, /tmp, /var/tmp. The host writes the description once (plan below, pure); the guest runs one
 * mkdir, a few touches and links, and one `mount -a` — each fork costs ~10-25 ms there.
 */
import { readdir, readlink } from "node:fs/promises";
import { join } from "node:path";

export interface HostEntry {
  name: string;
  type: "dir" | "file" | "symlink" | "other";
  /** symlinks only */
  target?: string;
}

export interface SkeletonLevel {
  hostDir: string;
  guestDir: string;
  entries: readonly HostEntry[];
  /** Names not carried over (made fresh, or hidden). */
  skip: readonly string[];
}

export interface SkeletonPlan {
  dirs: string[];
  files: string[];
  links: Array<{ target: string; path: string }>;
  /** fstab lines: source, mount point, type, options. */
  mounts: Array<[source: string, target: string, type: string, options: string]>;
}

/** Where the guest builds the new root before pivot_root (the host's /mnt is hidden, never needed). */
export const SKELETON_ROOT = "/mnt";

/** Host entries never carried over: made fresh in the guest, or the machinery's own (never the guest's). */
const ROOT_SKIP = ["proc", "sys", "dev", "run", "tmp", "mnt", "etc", "var", "root", "lib", "boot", "lost+found", ".dockerenv"];

/** The skeleton (pure): binds for every entry of each level, fresh file systems, the module tree. */
export function skeletonPlan(levels: readonly SkeletonLevel[], modules: { hostDir: string; release: string }): SkeletonPlan {
  const plan: SkeletonPlan = { dirs: [], files: [], links: [], mounts: [] };
  for (const level of levels) {
    plan.dirs.push(level.guestDir);
    for (const entry of level.entries) {
      if (level.skip.includes(entry.name)) continue;
      const guestPath = `${level.guestDir}/${entry.name}`;
      const hostPath = join(level.hostDir, entry.name);
      if (entry.type === "symlink" && entry.target !== undefined) plan.links.push({ target: entry.target, path: guestPath });
      else if (entry.type === "dir") {
        plan.dirs.push(guestPath);
        plan.mounts.push([hostPath, guestPath, "none", "bind"]);
      } else if (entry.type === "file") {
        plan.files.push(guestPath);
        plan.mounts.push([hostPath, guestPath, "none", "bind"]);
      }
    }
  }
  const root = SKELETON_ROOT;
  const modulesDir = `${root}/lib/modules/${modules.release}`;
  plan.dirs.push(...["proc", "sys", "dev", "run", "tmp", "mnt", "etc", "boot", "var/tmp", ".pacer-old", "lib/modules"].map((dir) => `${root}/${dir}`), modulesDir);
  plan.mounts.push([modules.hostDir, modulesDir, "none", "bind"]);
  plan.mounts.push(
    ["proc", `${root}/proc`, "proc", "defaults"], ["sys", `${root}/sys`, "sysfs", "defaults"], ["dev", `${root}/dev`, "devtmpfs", "defaults"],
    ["tmpfs", `${root}/run`, "tmpfs", "mode=755"], ["tmpfs", `${root}/tmp`, "tmpfs", "mode=1777"], ["tmpfs", `${root}/var/tmp`, "tmpfs", "mode=1777"],
    ["bpf", `${root}/sys/fs/bpf`, "bpf", "defaults"], ["cgroup2", `${root}/sys/fs/cgroup`, "cgroup2", "defaults"],
  );
  return plan;
}

/** The levels of the host's tree the skeleton carries over, and what each leaves out (pure). */
export function skeletonLevelDirs(hostLibIsSymlink: boolean): Array<{ hostDir: string; guestDir: string; skip: string[] }> {
  const root = SKELETON_ROOT;
  return [
    { hostDir: "/", guestDir: root, skip: ROOT_SKIP },
    { hostDir: "/var", guestDir: `${root}/var`, skip: ["tmp", "lib"] },
    { hostDir: "/var/lib", guestDir: `${root}/var/lib`, skip: [] },
    { hostDir: "/root", guestDir: `${root}/root`, skip: [] },
    { hostDir: hostLibIsSymlink ? "/usr/lib" : "/lib", guestDir: `${root}/lib`, skip: ["modules"] },
  ];
}

/** Reads the host directories the skeleton carries over (I/O). */
export async function readSkeletonLevels(): Promise<SkeletonLevel[]> {
  const rootEntries = await listHostDir("/");
  const libIsSymlink = rootEntries.find((entry) => entry.name === "lib")?.type === "symlink";
  return Promise.all(skeletonLevelDirs(libIsSymlink).map(async (level) => ({ ...level, entries: await listHostDir(level.hostDir) })));
}

async function listHostDir(dir: string): Promise<HostEntry[]> {
  const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
  return Promise.all(entries.map(async (entry): Promise<HostEntry> => {
    if (entry.isSymbolicLink()) return { name: entry.name, type: "symlink", target: await readlink(join(dir, entry.name)) };
    return { name: entry.name, type: entry.isDirectory() ? "dir" : entry.isFile() ? "file" : "other" };
  }));
}

const quoted = (value: string): string => `'${value.replaceAll("'", `'\\''`)}'`;

/** The guest's skeleton.sh and fstab from a plan (pure). */
export function skeletonFiles(plan: SkeletonPlan): { script: string; fstab: string } {
  const script = [
    `mkdir -p ${plan.dirs.map(quoted).join(" ")}`,
    ...plan.files.map((file) => `: > ${quoted(file)}`),
    ...plan.links.map((link) => `ln -s ${quoted(link.target)} ${quoted(link.path)}`),
    "",
  ].join("\n");
  // fstab fields are split on white space: a name with a space would need \040; none of the host's has one.
  const fstab = plan.mounts.map((fields) => `${fields.map((field) => field.replaceAll(" ", "\\040")).join(" ")} 0 0`).join("\n");
  return { script, fstab: `${fstab}\n` };
}
