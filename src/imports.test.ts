/**
 * The product apart from its laboratory, checked mechanically: no module that ships (src/, except tests and
 * `testing/` folders of test support) imports anything outside src/ or from a `testing/` folder, and the
 * image's build (tsconfig.product.json) compiles exactly those modules.
 */
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";

const REPOSITORY = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const SOURCES = join(REPOSITORY, "src");

const isTestSupport = (path: string): boolean => /\.test\.ts$/.test(path) || path.split("/").includes("testing");

function sourceFiles(directory: string): string[] {
  return readdirSync(directory, { withFileTypes: true }).flatMap((entry) => {
    const path = join(directory, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return entry.name.endsWith(".ts") ? [path] : [];
  });
}

/** Relative specifiers of static and literal dynamic imports and re-exports. */
function relativeImports(text: string): string[] {
  const specifiers = [...text.matchAll(/(?:\bfrom|\bimport)\s*\(?\s*["'](\.{1,2}\/[^"']+)["']/g)].map((match) => match[1] ?? "");
  return specifiers.filter((specifier) => specifier !== "");
}

describe("the product's imports", () => {
  const shipped = sourceFiles(SOURCES).filter((path) => !isTestSupport(relative(SOURCES, path)));

  it("finds the product's modules", () => {
    assert.ok(shipped.length > 50, `${shipped.length} modules under src/`);
  });

  it("stay inside src/ and never reach test support", () => {
    const offending: string[] = [];
    for (const file of shipped) {
      for (const specifier of relativeImports(readFileSync(file, "utf8"))) {
        const target = relative(SOURCES, resolve(dirname(file), specifier));
        if (target.startsWith("..") || isTestSupport(target.replace(/\.js$/, ".ts"))) offending.push(`${relative(REPOSITORY, file)} → ${specifier}`);
      }
    }
    assert.deepEqual(offending, []);
  });

  it("are what tsconfig.product.json builds: src/ without tests and testing/", () => {
    const config = JSON.parse(readFileSync(join(REPOSITORY, "tsconfig.product.json"), "utf8")) as { include: string[]; exclude: string[] };
    assert.deepEqual(config.include, ["src/**/*.ts"]);
    assert.deepEqual(config.exclude, ["src/**/*.test.ts", "src/**/testing/**"]);
  });
});
