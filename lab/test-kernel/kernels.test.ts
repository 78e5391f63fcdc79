/** The kernel catalogue: names, lists, cache paths. */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { DEFAULT_TEST_KERNEL, kernelFiles, parseKernelList, TEST_KERNELS, TEST_KERNEL_NAMES, testKernelSpec } from "./kernels.js";

describe("test kernel catalogue", () => {
  it("has every named kernel once, uml-6.1 the default from the host's package", () => {
    assert.deepEqual(TEST_KERNELS.map((kernel) => kernel.name), [...TEST_KERNEL_NAMES]);
    assert.equal(DEFAULT_TEST_KERNEL, "uml-6.1");
    assert.equal(testKernelSpec("uml-6.1").version, null);
    for (const kernel of TEST_KERNELS) assert.equal(kernel.defaultCpus, kernel.kind === "uml" ? 1 : 2, kernel.name);
  });

  it("parses kernel lists and names what it does not know", () => {
    assert.deepEqual(parseKernelList("uml-6.1, qemu-5.10"), ["uml-6.1", "qemu-5.10"]);
    assert.deepEqual(parseKernelList("all"), [...TEST_KERNEL_NAMES]);
    assert.throws(() => parseKernelList("qemu-4.19"), /not in the catalogue \(uml-6.1, /);
  });

  it("finds a fetched package where scripts/debian-fetch.sh unpacks it, and the prepared files by version", () => {
    const files = kernelFiles(testKernelSpec("qemu-5.10"), "/c");
    assert.equal(files.kernelImage, "/c/debian/bullseye/main/linux-image-5.10.0-32-cloud-amd64_5.10.223-1/boot/vmlinuz-5.10.0-32-cloud-amd64");
    assert.equal(files.modulesDir, "/c/test-kernels/qemu-5.10_5.10.223-1/modules/lib/modules/5.10.0-32-cloud-amd64");
    assert.equal(files.initramfs, "/c/test-kernels/qemu-5.10_5.10.223-1/initramfs.cpio");
    assert.equal(files.bootDir, "/c/debian/bullseye/main/linux-image-5.10.0-32-cloud-amd64_5.10.223-1/boot");
    assert.equal(kernelFiles(testKernelSpec("uml-5.10"), "/c").kernelImage, "/c/debian/bullseye/main/user-mode-linux_5.10um3+b1/usr/bin/linux.uml");
    assert.equal(kernelFiles(testKernelSpec("uml-6.1"), "/c").modulesDir, "/usr/lib/uml/modules/6.1.176");
  });
});
