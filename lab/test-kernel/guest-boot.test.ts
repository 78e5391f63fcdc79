/** The other kernels' boot pieces: UML 5.10's skeleton, qemu's command line and accelerator, the init scripts. */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { MARKER_EXIT, MARKER_READY } from "./boot-script.js";
import { qemuInit, qemuStage2, uml510Init, uml510Stage2 } from "./guest-init.js";
import { testKernelSpec } from "./kernels.js";
import { qemuAccelerator, qemuArgs } from "./qemu.js";
import { skeletonFiles, skeletonLevelDirs, skeletonPlan } from "./uml-skeleton.js";

describe("UML 5.10 skeleton root", () => {
  it("binds each host entry read-only, copies symlinks, leaves out what is made fresh, binds the module tree", () => {
    const [rootLevel] = skeletonLevelDirs(true);
    const plan = skeletonPlan([{ ...rootLevel!, entries: [
      { name: "usr", type: "dir" }, { name: "bin", type: "symlink", target: "usr/bin" }, { name: "tmp", type: "dir" }, { name: "x.json", type: "file" },
    ] }], { hostDir: "/cache/modules/5.10.46", release: "5.10.46" });
    assert.deepEqual(plan.links, [{ target: "usr/bin", path: "/mnt/bin" }]);
    assert.ok(plan.mounts.some(([source, target]) => source === "/usr" && target === "/mnt/usr"));
    assert.ok(!plan.mounts.some(([source]) => source === "/tmp"), "tmp is a fresh tmpfs");
    assert.ok(plan.mounts.some(([source, target, type]) => source === "tmpfs" && target === "/mnt/tmp" && type === "tmpfs"));
    assert.ok(plan.files.includes("/mnt/x.json"));
    assert.ok(plan.mounts.some(([source, target]) => source === "/cache/modules/5.10.46" && target === "/mnt/lib/modules/5.10.46"));
    const files = skeletonFiles(plan);
    assert.match(files.script, /^mkdir -p '\/mnt' '\/mnt\/usr'/);
    assert.match(files.fstab, /^\/usr \/mnt\/usr none bind 0 0$/m);
  });

  it("the init pivots into the skeleton; stage 2 credits entropy before node runs and brackets the command", () => {
    assert.match(uml510Init("/tmp/x", 512), /mount -a -T '\/tmp\/x'\/fstab/);
    assert.match(uml510Init("/tmp/x", 512), /pivot_root \. \.pacer-old/);
    const stage2 = uml510Stage2(["sch_fq", "veth"]);
    assert.ok(stage2.indexOf("RNDADDENTROPY") < stage2.indexOf(MARKER_READY));
    assert.ok(stage2.includes("modprobe -a -q sch_fq veth"));
    assert.ok(stage2.indexOf(MARKER_READY) < stage2.indexOf("command.sh") && stage2.indexOf("command.sh") < stage2.indexOf(MARKER_EXIT));
  });
});

describe("qemu", () => {
  it("uses KVM only when it is hardware-backed and not KVM-PVM", () => {
    const vmx = "flags\t\t: fpu vme vmx sse\n";
    assert.deepEqual(qemuAccelerator({ cpuinfo: vmx, kvmDevice: true, kvmPvm: false }), { accel: "kvm", cpu: "host" });
    assert.equal(qemuAccelerator({ cpuinfo: vmx, kvmDevice: true, kvmPvm: true }).accel, "tcg,thread=multi");
    assert.equal(qemuAccelerator({ cpuinfo: "flags\t\t: fpu sse\n", kvmDevice: true, kvmPvm: false }).accel, "tcg,thread=multi");
  });

  it("boots the kernel with a memfd backend of -m's size, the virtiofs share, the catalogue's CPU model", () => {
    const args = qemuArgs({
      spec: testKernelSpec("qemu-6.12"), cpus: 4, memoryMiB: 1024, socket: "/r/s", accel: { accel: "tcg,thread=multi", cpu: null },
      files: { kernelImage: "/k", initramfs: "/i", modulesDir: "/m", bootDir: "/b" },
    }).join(" ");
    assert.match(args, /-cpu max,-cx16 -smp 4 -m 1024M/);
    assert.match(args, /memory-backend-memfd,id=mem,size=1024M,share=on/);
    assert.match(args, /vhost-user-fs-pci,chardev=vfs,tag=pacer/);
    assert.match(args, /-append console=ttyS0 panic=-1 quiet pacer_modules=\/m pacer_boot=\/b/);
  });

  it("stage 1 overlays the share and switch_roots; stage 2 mounts a node's file systems and loads modules at once", () => {
    const init = qemuInit();
    assert.match(init, /mount -t virtiofs pacer \/mnt\/share/);
    assert.match(init, /lowerdir=\/mnt\/share\/root,upperdir=/);
    assert.match(init, /exec \/bin\/busybox switch_root \/newroot/);
    const stage2 = qemuStage2(["sch_fq"]);
    assert.match(stage2, /mount -t bpf bpf \/sys\/fs\/bpf/);
    assert.match(stage2, /echo \/run\/pacer-bin\/modprobe > \/proc\/sys\/kernel\/modprobe/);
  });
});
