#!/usr/bin/env -S node --max-semi-space-size=1
// The `pacer` command: the compiled CLI lives in dist/ (built by scripts/build.sh). The shebang carries the
// agent's V8 flags (bench/node-flags.ts says why; bench/results/agent.md has the numbers).
import { existsSync } from "node:fs";
const entry = new URL("../dist/src/cli/main.js", import.meta.url);
if (!existsSync(entry)) {
  console.error("pacer: not built yet: run `bash scripts/setup.sh` (or `npm run build`) in the repository first");
  process.exit(2);
}
const { main } = await import(entry.href);
try {
  process.exitCode = await main(process.argv.slice(2));
} catch (error) {
  console.error(`pacer: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 1;
}
