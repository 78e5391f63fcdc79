/**
 * Debian's cloud kernels under qemu: q35, the host's `/` through virtiofs (virtiofs.ts) under a tmpfs
 * overlay, a busybox initramfs (initramfs.ts, built by prepare.ts), the serial console as the guest's
 * console. Software emulation (multi-threaded TCG) unless /dev/kvm is hardware-backed: this host's KVM is
 * KVM-PVM, which boots only PVM-enlightened guests (docs/design.md, "Test kernels").
 */
import { existsSync, readFileSync } from "node:fs";
import { writeFile } from "node:fs/promises";
import { qemuStage2 } from "./guest-init.js";
import type { GuestProcess } from "./guest-process.js";
import { kernelFiles, type TestKernelSpec } from "./kernels.js";
import type { TestKernelRun } from "./run-types.js";
import { VIRTIOFS_TAG } from "./virtiofs.js";
import { join } from "node:path";

export const QEMU = "qemu-system-x86_64";

/** KVM only where it runs stock kernels: vmx/svm in the CPU flags and not KVM-PVM (pure). */
export function qemuAccelerator(facts: { cpuinfo: string; kvmDevice: boolean; kvmPvm: boolean }): { accel: string; cpu: string | null } {
  const hardware = /^flags\s*:.*\b(vmx|svm)\b/m.test(facts.cpuinfo);
  return facts.kvmDevice && hardware && !facts.kvmPvm ? { accel: "kvm", cpu: "host" } : { accel: "tcg,thread=multi", cpu: null };
}

export function hostAccelerator(): { accel: string; cpu: string | null } {
  const cpuinfo = (() => { try { return readFileSync("/proc/cpuinfo", "utf8"); } catch { return ""; } })();
  return qemuAccelerator({ cpuinfo, kvmDevice: existsSync("/dev/kvm"), kvmPvm: existsSync("/sys/module/kvm_pvm") });
}

/** qemu's command line (pure). */
export function qemuArgs(options: {
  spec: TestKernelSpec; cpus: number; memoryMiB: number; socket: string; accel: { accel: string; cpu: string | null };
  files: { kernelImage: string; initramfs: string; modulesDir: string; bootDir: string };
}): string[] {
  const { spec, cpus, memoryMiB, socket, accel, files } = options;
  return [
    "-nodefaults", "-no-user-config", "-display", "none", "-no-reboot",
    "-accel", accel.accel, "-machine", "q35,memory-backend=mem", "-cpu", accel.cpu ?? spec.qemuCpu ?? "max",
    "-smp", String(cpus), "-m", `${memoryMiB}M`,
    // vhost-user-fs needs the guest's memory shared with virtiofsd: a memfd backend of exactly -m's size.
    "-object", `memory-backend-memfd,id=mem,size=${memoryMiB}M,share=on`,
    "-chardev", `socket,id=vfs,path=${socket}`, "-device", `vhost-user-fs-pci,chardev=vfs,tag=${VIRTIOFS_TAG}`,
    "-serial", "stdio",
    "-kernel", files.kernelImage, "-initrd", files.initramfs,
    // panic=-1 with -no-reboot: a guest panic ends qemu at once instead of hanging or rebooting.
    "-append", `console=ttyS0 panic=-1 quiet pacer_modules=${files.modulesDir} pacer_boot=${files.bootDir}`,
  ];
}

/** Writes stage 2 into the exchange directory and returns how to start qemu (virtiofsd runs already). */
export async function prepareQemu(spec: TestKernelSpec, run: TestKernelRun, exchangeDir: string, modules: readonly string[], cacheRoot: string, socket: string): Promise<GuestProcess> {
  const files = kernelFiles(spec, cacheRoot);
  if (files.initramfs === null || files.bootDir === null) throw new Error(`test kernel ${spec.name}: not a qemu kernel`);
  await writeFile(join(exchangeDir, "stage2.sh"), qemuStage2(modules));
  return {
    command: QEMU,
    args: qemuArgs({
      spec, cpus: run.cpus ?? spec.defaultCpus, memoryMiB: run.memoryMiB ?? 2048, socket, accel: hostAccelerator(),
      files: { kernelImage: files.kernelImage, initramfs: files.initramfs, modulesDir: files.modulesDir, bootDir: files.bootDir },
    }),
    env: { ...process.env },
    exchangeDir,
  };
}
