#!/usr/bin/env bash
# Builds the BPF object (build/bpf/), the native addon (native/build/), the test kernel's ptrace shim
# (build/lab/) and the TypeScript (dist/).
#
#   bash scripts/build.sh             # everything: product, laboratory, tests, benchmarks
#   bash scripts/build.sh --product   # only what ships (tsconfig.product.json: no tests, no test support)
set -euo pipefail
cd "$(dirname "$0")/.."
scope=${1:-all}
if [ -f bpf/Makefile ]; then make -s -C bpf; fi
if [ -f native/binding.gyp ]; then
  # Build against the headers of the node that will load the addon (<prefix>/include/node), never a download.
  node_prefix=$(dirname "$(dirname "$(command -v node)")")
  (cd native && npx --no-install node-gyp rebuild --silent --nodedir="$node_prefix" >/dev/null)
fi
# A clean build: a file deleted from the tree must not keep running from a stale .js.
rm -rf dist
if [ "$scope" = --product ]; then
  exec npx --no-install tsc -p tsconfig.product.json
fi
# User-Mode Linux needs it on hosts with a large XSAVE area (lab/test-kernel/uml-xstate-shim.c).
mkdir -p build/lab
gcc -O2 -Wall -Wextra -Werror -shared -fPIC -o build/lab/uml-xstate-shim.so lab/test-kernel/uml-xstate-shim.c -ldl
npx --no-install tsc -p tsconfig.json
