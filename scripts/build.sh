#!/usr/bin/env bash
# Builds the BPF object (build/bpf/), the native addon (native/build/) and the TypeScript (dist/).
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -f bpf/Makefile ]; then make -s -C bpf; fi
if [ -f native/binding.gyp ]; then (cd native && npx --no-install node-gyp rebuild --silent >/dev/null); fi
npx --no-install tsc -p tsconfig.json
