/**
 * Test helpers for kernel-touching tests: a private bpffs in a temp dir (pins vanish with it), an fd-leak
 * check over /proc/self/fd, and the skip reason when the addon or BPF object is not built.
 */
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileMissing, rootMissing } from "../../testing/prerequisites.js";
import { mountBpffs, unmount } from "../bpf.js";
import { defaultEdtObjectPath } from "../edt-program.js";
import { defaultAddonPath } from "../native-binding.js";

export const bpfTestPrerequisites = (): Array<string | null> => [
  rootMissing(),
  fileMissing(defaultAddonPath, "build the native addon: bash scripts/build.sh"),
  fileMissing(defaultEdtObjectPath, "build the BPF object: make -C bpf"),
];

export interface PrivateBpffs {
  path: string;
  remove(): void;
}

/** A fresh bpffs mounted on a temp dir (prefix `pd`), unmounted and removed by remove(). */
export function mountPrivateBpffs(): PrivateBpffs {
  const path = mkdtempSync(join(tmpdir(), `pd-bpffs-${process.pid}-`));
  mountBpffs(path);
  return {
    path,
    remove() {
      try {
        unmount(path);
      } finally {
        rmSync(path, { recursive: true, force: true });
      }
    },
  };
}

export function openFdCount(): number {
  return readdirSync("/proc/self/fd").length;
}
