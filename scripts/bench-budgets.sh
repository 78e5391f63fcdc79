#!/usr/bin/env bash
# `npm run bench:budgets`: the simulator (bench/results/budgets-sim.json), then the real run in the test kernel,
# which merges both into bench/results/budgets.json. Both run even when the first misses a goal; the exit
# status is non-zero when either did.
set -uo pipefail
cd "$(dirname "$0")/.."
status=0
node dist/bench/budgets-sim.js || status=1
node dist/bench/budgets.js "$@" || status=1
exit "$status"
