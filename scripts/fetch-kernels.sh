#!/usr/bin/env bash
# Fetches and prepares the test kernels (lab/test-kernel/kernels.ts) into ${PACER_CACHE:-/var/cache/pacer}:
# Debian packages through scripts/debian-fetch.sh (a private apt configuration, never the host's; nothing is
# installed, nothing goes to /boot), then lab/test-kernel/prepare-main.js (module tree with modules.dep,
# initramfs). Idempotent and cached by version: a second run only checks.
#
#   bash scripts/fetch-kernels.sh                # every kernel of the catalogue
#   bash scripts/fetch-kernels.sh qemu-5.10 ...  # some
#
# uml-6.1 is the host's user-mode-linux package (scripts/setup.sh installs it). Needs dist/ (scripts/build.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -f dist/lab/test-kernel/prepare-main.js ]; then
  echo "fetch-kernels: build first (bash scripts/build.sh)" >&2
  exit 1
fi
# name suite package version — read from the catalogue, so the two never disagree.
mapfile -t rows < <(node --input-type=module -e '
  const { TEST_KERNELS, parseKernelList } = await import(process.argv[1]);
  const wanted = process.argv.length > 2 ? parseKernelList(process.argv.slice(2).join(",")) : TEST_KERNELS.map((k) => k.name);
  for (const k of TEST_KERNELS) if (wanted.includes(k.name) && k.version !== null) console.log([k.name, k.suite, k.component, k.package, k.version].join(" "));
' "$PWD/dist/lab/test-kernel/kernels.js" "$@")
prepare=()
for row in "${rows[@]}"; do
  read -r name suite component package version <<<"$row"
  if ! out=$(bash scripts/debian-fetch.sh "$suite" "$component" "$package=$version" 2>&1); then
    echo "fetch-kernels: $name: $package $version is not in $suite/$component any more:" >&2
    echo "$out" >&2
    echo "fetch-kernels: update lab/test-kernel/kernels.ts to the package the suite's linux-image-cloud-amd64 (or user-mode-linux) now names" >&2
    exit 1
  fi
  prepare+=("$name")
done
if [ "${#prepare[@]}" -gt 0 ]; then node dist/lab/test-kernel/prepare-main.js "${prepare[@]}"; fi
