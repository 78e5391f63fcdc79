#!/usr/bin/env bash
# Runs every test: unit and host-kernel tests (node's test runner), the fq tests inside the test kernel
# (lab/in-test-kernel.test.ts boots each and runs every *.fq.test.js there), the end-to-end suite. Test files
# are found by name: *.test.js, except *.fq.test.js, which need a kernel with fq. Under CI=true a missing
# prerequisite fails instead of skipping.
set -euo pipefail
cd "$(dirname "$0")/.."
mapfile -t tests < <(find dist -name '*.test.js' ! -name '*.fq.test.js' | sort)
if [ "${#tests[@]}" -eq 0 ]; then
  echo "test: no *.test.js under dist/: build first (bash scripts/build.sh)" >&2
  exit 1
fi
# The fq tests in every test kernel (lab/in-test-kernel.test.ts; ~5 min for all five), unless told otherwise.
export PACER_TEST_KERNELS=${PACER_TEST_KERNELS:-all}
exec node --test --test-concurrency=1 "${tests[@]}"
