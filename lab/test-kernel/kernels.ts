/**
 * The test kernels the laboratory can boot, one catalogue (pure: names, packages, cache paths; no I/O).
 *
 * Two kinds (docs/design.md, "Test kernels"): Debian's User-Mode Linux (one host process, one CPU, native
 * speed, no JIT, no BTF) and Debian's cloud kernels under qemu (software emulation here: several vCPUs, JIT
 * and BTF as Debian ships them, ~30x slower CPU). Every package but the host's own user-mode-linux is
 * fetched by scripts/debian-fetch.sh (a private apt configuration, `dpkg-deb -x` into the cache), never
 * installed; scripts/fetch-kernels.sh fetches them and prepares what a boot needs (prepare.ts).
 *
 * Packages are pinned: a run names exactly the kernel it measured. When the mirror drops a version (a new
 * ABI in a stable update), fetch-kernels.sh says what the suite's metapackage depends on now.
 */
import { join } from "node:path";

export const TEST_KERNEL_NAMES = ["uml-6.1", "uml-5.10", "qemu-5.10", "qemu-6.1", "qemu-6.12"] as const;
export type TestKernelName = (typeof TEST_KERNEL_NAMES)[number];
export const DEFAULT_TEST_KERNEL: TestKernelName = "uml-6.1";

export interface TestKernelSpec {
  name: TestKernelName;
  kind: "uml" | "qemu";
  /** The Debian suite and component the package comes from. */
  suite: string;
  component: "main";
  package: string;
  /** The package version; null: the host's installed package (apt-get install, scripts/setup.sh). */
  version: string | null;
  /** `uname -r` inside the guest. */
  release: string;
  /** vCPUs when the caller does not say; UML always has one. */
  defaultCpus: number;
  /**
   * qemu's -cpu. 6.12 under bookworm's qemu 7.2: SLUB's cmpxchg16b path (this_cpu_try_cmpxchg128, new in
   * 6.8) gets corrupted EFLAGS from TCG (double faults, hangs in 4 of 5 fork-heavy boots); hiding CX16
   * makes the kernel take its fallback (0 of 4 failed; docs/design.md, "Test kernels").
   */
  qemuCpu?: string;
}

export const TEST_KERNELS: readonly TestKernelSpec[] = [
  { name: "uml-6.1", kind: "uml", suite: "bookworm", component: "main", package: "user-mode-linux", version: null, release: "6.1.176", defaultCpus: 1 },
  { name: "uml-5.10", kind: "uml", suite: "bullseye", component: "main", package: "user-mode-linux", version: "5.10um3+b1", release: "5.10.46", defaultCpus: 1 },
  { name: "qemu-5.10", kind: "qemu", suite: "bullseye", component: "main", package: "linux-image-5.10.0-32-cloud-amd64", version: "5.10.223-1", release: "5.10.0-32-cloud-amd64", defaultCpus: 2 },
  { name: "qemu-6.1", kind: "qemu", suite: "bookworm", component: "main", package: "linux-image-6.1.0-50-cloud-amd64", version: "6.1.176-1", release: "6.1.0-50-cloud-amd64", defaultCpus: 2 },
  {
    name: "qemu-6.12", kind: "qemu", suite: "bookworm-backports", component: "main", package: "linux-image-6.12.95+deb12-cloud-amd64",
    version: "6.12.95-1~bpo12+1", release: "6.12.95+deb12-cloud-amd64", defaultCpus: 2, qemuCpu: "max,-cx16",
  },
];

export const isTestKernelName = (name: string): name is TestKernelName => (TEST_KERNEL_NAMES as readonly string[]).includes(name);

export function testKernelSpec(name: string): TestKernelSpec {
  const spec = TEST_KERNELS.find((kernel) => kernel.name === name);
  if (spec === undefined) throw new RangeError(`test kernel ${name}: not in the catalogue (${TEST_KERNEL_NAMES.join(", ")})`);
  return spec;
}

/** Parses a list like "uml-6.1,qemu-5.10" or "all" (pure); throws on an unknown name. */
export function parseKernelList(text: string): TestKernelName[] {
  if (text.trim() === "all") return [...TEST_KERNEL_NAMES];
  const names = text.split(",").map((name) => name.trim()).filter((name) => name !== "");
  for (const name of names) testKernelSpec(name);
  return names as TestKernelName[];
}

/** ${PACER_CACHE:-/var/cache/pacer}, as the scripts use it. */
export const pacerCacheRoot = (env: NodeJS.ProcessEnv = process.env): string => env.PACER_CACHE ?? "/var/cache/pacer";

/** Where scripts/debian-fetch.sh unpacked the package (null for the host's own package). */
export function unpackedPackageDir(spec: TestKernelSpec, cacheRoot: string): string | null {
  if (spec.version === null) return null;
  return join(cacheRoot, "debian", spec.suite, spec.component, `${spec.package}_${spec.version}`);
}

/**
 * What prepare.ts makes for a qemu kernel, by version: the module tree with modules.dep (the .deb ships
 * none: depmod runs in its postinst) and the initramfs.
 */
export function preparedKernelDir(spec: TestKernelSpec, cacheRoot: string): string {
  return join(cacheRoot, "test-kernels", `${spec.name}_${spec.version ?? "host"}`);
}

/** The files one boot of `spec` uses (pure). */
export function kernelFiles(spec: TestKernelSpec, cacheRoot: string): {
  kernelImage: string; modulesDir: string; initramfs: string | null; bootDir: string | null;
} {
  const unpacked = unpackedPackageDir(spec, cacheRoot);
  if (spec.kind === "uml") {
    const root = unpacked ?? "/";
    return { kernelImage: join(root, "usr/bin/linux.uml"), modulesDir: join(root, "usr/lib/uml/modules", spec.release), initramfs: null, bootDir: null };
  }
  if (unpacked === null) throw new Error(`test kernel ${spec.name}: a qemu kernel must name a package version`);
  const prepared = preparedKernelDir(spec, cacheRoot);
  return {
    kernelImage: join(unpacked, "boot", `vmlinuz-${spec.release}`),
    modulesDir: join(prepared, "modules/lib/modules", spec.release),
    initramfs: join(prepared, "initramfs.cpio"),
    // The package's /boot holds config-<release>: the guest sees it at /boot, as on a node (pacer check).
    bootDir: join(unpacked, "boot"),
  };
}
