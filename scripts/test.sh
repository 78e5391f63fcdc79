#!/usr/bin/env bash
# Runs every test: unit and host-kernel tests (node's test runner), then the end-to-end suite on the test
# kernel. Under CI=true a missing prerequisite fails instead of skipping.
set -euo pipefail
cd "$(dirname "$0")/.."
node --test --test-concurrency=1 dist/src dist/test
