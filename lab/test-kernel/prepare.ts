/**
 * Makes a fetched qemu kernel bootable, into the cache by version (preparedKernelDir): its module tree with
 * modules.dep (the .deb ships none — depmod runs in its postinst — and the host has no kmod, so busybox
 * depmod makes it; 6.12's .ko.xz are decompressed once here rather than by the emulated guest at every
 * load), and the initramfs (initramfs.ts) with busybox-static and the modules that reach the root.
 * Built under a temporary name and renamed, so an interrupted run never leaves a half-made kernel.
 */
import { spawn } from "node:child_process";
import { access, mkdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { qemuInit } from "./guest-init.js";
import { cpioNewc, initramfsEntries, resolveModules, ROOT_MODULES } from "./initramfs.js";
import { preparedKernelDir, unpackedPackageDir, type TestKernelSpec } from "./kernels.js";

const exists = (path: string) => access(path).then(() => true, () => false);

function run(command: string, args: readonly string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, [...args], { stdio: ["ignore", "ignore", "pipe"] });
    let stderr = "";
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => { stderr += chunk; });
    child.on("error", reject);
    child.on("close", (code) => (code === 0 ? resolve() : reject(new Error(`${command} ${args.join(" ")}: exit ${code}: ${stderr.trim()}`))));
  });
}

/** Prepares `spec` unless it already is; returns its directory and whether it was made now. */
export async function prepareKernel(spec: TestKernelSpec, cacheRoot: string): Promise<{ dir: string; made: boolean }> {
  const unpacked = unpackedPackageDir(spec, cacheRoot);
  const dir = preparedKernelDir(spec, cacheRoot);
  if (spec.kind !== "qemu") return { dir, made: false };
  if (unpacked === null || !(await exists(join(unpacked, ".unpacked")))) {
    throw new Error(`prepare ${spec.name}: ${spec.package} ${spec.version} is not fetched (scripts/debian-fetch.sh ${spec.suite} ${spec.component} ${spec.package}=${spec.version})`);
  }
  if (await exists(join(dir, ".prepared"))) return { dir, made: false };
  const building = `${dir}.building-${process.pid}`;
  await rm(building, { recursive: true, force: true });
  const modulesRoot = join(building, "modules");
  await mkdir(join(modulesRoot, "lib/modules"), { recursive: true });
  try {
    await run("cp", ["-a", join(unpacked, "lib/modules", spec.release), join(modulesRoot, "lib/modules/")]);
    const tree = join(modulesRoot, "lib/modules", spec.release);
    await run("find", [tree, "-name", "*.ko.xz", "-exec", "xz", "-d", "{}", "+"]);
    await run("busybox", ["depmod", "-b", modulesRoot, spec.release]);
    const modulesDep = await readFile(join(tree, "modules.dep"), "utf8");
    const modulesBuiltin = await readFile(join(tree, "modules.builtin"), "utf8").catch(() => "");
    const paths = resolveModules(ROOT_MODULES, modulesDep, modulesBuiltin);
    const modules = await Promise.all(paths.map(async (path) => ({ path, data: await readFile(join(tree, path)) })));
    const entries = initramfsEntries({ release: spec.release, busybox: await readFile("/bin/busybox"), init: qemuInit(), modules });
    await writeFile(join(building, "initramfs.cpio"), cpioNewc(entries));
    await writeFile(join(building, ".prepared"), `${spec.package} ${spec.version}\n${paths.join("\n")}\n`);
    await rm(dir, { recursive: true, force: true });
    await rename(building, dir);
    return { dir, made: true };
  } catch (error) {
    await rm(building, { recursive: true, force: true });
    throw error;
  }
}
