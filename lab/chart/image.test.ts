/**
 * What can drift in the Dockerfile without building it: the build stage runs the project's own set-up for the
 * product, every file the runtime stage copies is produced by that build, and .dockerignore keeps out build
 * output and the whole laboratory but nothing the build needs.
 */
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { fileMissing, requirePrerequisites } from "../../src/testing/prerequisites.js";
import { REPO_ROOT } from "./helm-cli.js";

const dockerfile = readFileSync(join(REPO_ROOT, "Dockerfile"), "utf8");
const ignored = readFileSync(join(REPO_ROOT, ".dockerignore"), "utf8")
  .split("\n")
  .map((line) => line.trim())
  .filter((line) => line !== "" && !line.startsWith("#"));

/** Sources of `COPY --from=build /src/pacer/<path> <destination>`, relative to the repository. */
const copiedFromBuild = [...dockerfile.matchAll(/^COPY --from=build \/src\/pacer\/(\S+) (\S+)$/gm)].map((match) => ({
  source: match[1] ?? "",
  destination: match[2] ?? "",
}));

describe("Dockerfile", () => {
  it("builds with the project's own set-up script, as CI does", () => {
    assert.match(dockerfile, /^ARG BUILD_BASE=node:20-bookworm$/m, "build stage: Debian 12 with Node 20 by default");
    assert.match(dockerfile, /^FROM \$\{BUILD_BASE\} AS build$/m);
    assert.match(dockerfile, /^RUN bash scripts\/setup\.sh --product/m, "the product's own set-up, nothing of the laboratory");
    assert.match(dockerfile, /npm prune --omit=dev/, "runtime gets production node_modules only");
    assert.match(dockerfile, /^ARG RUNTIME_BASE=node:20-bookworm-slim$/m);
    assert.match(dockerfile, /^FROM \$\{RUNTIME_BASE\} AS runtime$/m);
    assert.match(dockerfile, /install -y --no-install-recommends libbpf1 iproute2\b/);
    assert.match(dockerfile, /ln -s \/opt\/pacer\/bin\/pacer\.js \/usr\/local\/bin\/pacer/, "`pacer` on PATH for kubectl exec");
  });

  it("keeps the repository's layout, where the code looks for the BPF object and the addon", () => {
    const sources = copiedFromBuild.map((copy) => copy.source).sort();
    assert.deepEqual(sources, ["bin", "build/bpf/edt.bpf.o", "dist", "native/build/Release/pacer_native.node", "node_modules", "package.json"]);
    for (const { source, destination } of copiedFromBuild) {
      assert.equal(destination.replace(/^\.\//, ""), source, `${source} keeps its relative path under /opt/pacer`);
    }
  });

  const built = ["build/bpf/edt.bpf.o", "native/build/Release/pacer_native.node", "dist/src/cli/main.js"];
  const notBuilt = built.map((path) => fileMissing(join(REPO_ROOT, path), "run scripts/setup.sh (it builds everything)"));
  it("copies only files the build produces", { skip: requirePrerequisites(notBuilt) }, () => {
    for (const { source } of copiedFromBuild) assert.ok(existsSync(join(REPO_ROOT, source)), `${source} exists after scripts/build.sh`);
  });

  it(".dockerignore keeps out build output, local tools and the laboratory, but nothing the build stage needs", () => {
    for (const pattern of ["node_modules", "dist", "build", "native/build", ".tools", ".git", "lab", "bench"]) {
      assert.ok(ignored.includes(pattern), `${pattern} is ignored`);
    }
    for (const needed of ["scripts", "src", "bpf", "native", "native/src", "package.json", "package-lock.json", "tsconfig.json", "tsconfig.product.json", "bin"]) {
      assert.ok(!ignored.includes(needed), `${needed} reaches the build stage`);
      assert.ok(existsSync(join(REPO_ROOT, needed)), `${needed} exists`);
    }
  });
});
