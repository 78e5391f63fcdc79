#!/usr/bin/env bash
# `npm run bench`: every benchmark, each writing JSON and a readable table under bench/results/ (bench:budgets:
# the ClusterWide budgets simulated and real; e2e:matrix: the
# core scenarios on every test kernel, bench/results/matrix.json). All run even
# when one fails; the exit status is non-zero when any missed a target or failed to run.
set -uo pipefail
cd "$(dirname "$0")/.."
status=0
for script in bench:datapath bench:agent e2e e2e:matrix bench:budgets; do
  npm run --silent "$script"
  code=$?
  echo "bench: $script exit $code"
  [ "$code" -eq 0 ] || status=1
done
[ "$status" -eq 0 ] || echo "bench: a target was missed or a run failed; see bench/results/" >&2
exit "$status"
