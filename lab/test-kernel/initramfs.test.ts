/** The initramfs: module order from modules.dep, the newc archive, the file list. */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { cpioNewc, initramfsEntries, moduleNameOf, resolveModules } from "./initramfs.js";

const modulesDep = [
  "kernel/drivers/virtio/virtio_ring.ko:",
  "kernel/drivers/virtio/virtio.ko: kernel/drivers/virtio/virtio_ring.ko",
  "kernel/drivers/virtio/virtio_pci.ko: kernel/drivers/virtio/virtio.ko kernel/drivers/virtio/virtio_ring.ko",
  "kernel/fs/fuse/virtiofs.ko: kernel/fs/fuse/fuse.ko kernel/drivers/virtio/virtio_ring.ko kernel/drivers/virtio/virtio.ko",
  "kernel/fs/fuse/fuse.ko:",
  "kernel/drivers/char/hw_random/virtio-rng.ko: kernel/drivers/virtio/virtio.ko",
].join("\n");

describe("initramfs", () => {
  it("orders modules dependencies first, once each, and skips built-ins", () => {
    assert.deepEqual(resolveModules(["virtio_pci", "virtiofs", "overlay"], modulesDep, "kernel/fs/overlayfs/overlay.ko\n"), [
      "kernel/drivers/virtio/virtio_ring.ko", "kernel/drivers/virtio/virtio.ko", "kernel/drivers/virtio/virtio_pci.ko",
      "kernel/fs/fuse/fuse.ko", "kernel/fs/fuse/virtiofs.ko",
    ]);
    assert.deepEqual(resolveModules(["virtio_rng"], modulesDep, ""), ["kernel/drivers/virtio/virtio_ring.ko", "kernel/drivers/virtio/virtio.ko", "kernel/drivers/char/hw_random/virtio-rng.ko"]);
    assert.throws(() => resolveModules(["overlay"], modulesDep, ""), /overlay is neither in modules.dep nor built in/);
    assert.equal(moduleNameOf("kernel/a/virtio-rng.ko.xz"), "virtio_rng");
  });

  it("writes newc records: 110-byte headers, names and data padded to 4 bytes, a trailer", () => {
    const archive = cpioNewc([{ path: "a", type: "file", data: Buffer.from("xyz") }, { path: "dev/console", type: "chardev", major: 5, minor: 1 }]);
    const text = archive.toString("latin1");
    assert.equal(text.slice(0, 6), "070701");
    const field = (offset: number, index: number) => Number.parseInt(text.slice(offset + 6 + index * 8, offset + 14 + index * 8), 16);
    assert.equal(field(0, 1), 0o100644, "mode");
    assert.equal(field(0, 6), 3, "file size");
    assert.equal(field(0, 11), 2, "name size with its NUL");
    assert.equal(text.slice(110, 112), "a\0");
    assert.equal(text.slice(112, 115), "xyz", "header + name = 112, already aligned");
    const second = 116;
    assert.equal(text.slice(second, second + 6), "070701");
    assert.equal(field(second, 1), 0o020600, "a character device");
    assert.deepEqual([field(second, 9), field(second, 10)], [5, 1], "rdev 5:1");
    assert.ok(text.includes("TRAILER!!!\0"));
    assert.equal(archive.length % 4, 0);
  });

  it("lists busybox, /dev/console, the mount points, the modules in load order and /init", () => {
    const entries = initramfsEntries({ release: "6.1.0-1", busybox: Buffer.from("bb"), init: "#!/bin/sh\n", modules: [{ path: "kernel/fs/fuse/fuse.ko", data: Buffer.from("m") }] });
    const paths = entries.map((entry) => entry.path);
    for (const path of ["bin/busybox", "bin/sh", "dev/console", "mnt/share", "newroot", "lib/modules/6.1.0-1/kernel/fs/fuse/fuse.ko", "init"]) assert.ok(paths.includes(path), path);
    assert.ok(paths.indexOf("lib/modules/6.1.0-1/kernel/fs/fuse") < paths.indexOf("lib/modules/6.1.0-1/kernel/fs/fuse/fuse.ko"), "parents first");
    const list = entries.find((entry) => entry.path === "modules.list");
    assert.equal(list?.type === "file" ? list.data.toString() : "", "/lib/modules/6.1.0-1/kernel/fs/fuse/fuse.ko\n");
  });
});
