#!/usr/bin/env node
// The `pacer` command: the compiled CLI lives in dist/ (built by scripts/build.sh).
import { existsSync } from "node:fs";
const entry = new URL("../dist/src/cli/main.js", import.meta.url);
if (!existsSync(entry)) {
  console.error("pacer: not built yet: run `bash scripts/setup.sh` (or `npm run build`) in the repository first");
  process.exit(2);
}
await import(entry.href);
