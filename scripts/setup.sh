#!/usr/bin/env bash
# Installs everything pacer needs on a fresh Debian 12 machine (as root) and builds it from source:
# Debian packages, npm packages, the BPF object, the native addon and the TypeScript.
set -euo pipefail
cd "$(dirname "$0")/.."

APT_PACKAGES=(
  clang llvm libbpf-dev bpftool gcc make python3 g++   # BPF object and the N-API addon
  iproute2 iperf3 iputils-ping iptables                # datapath and measurements
  containernetworking-plugins                          # the real CNI bridge/host-local/bandwidth plugins
  user-mode-linux busybox-static                       # the test kernel with fq (DESIGN.md section 6)
  unzip                                                # helm ships zipped inside an npm package
  openssl                                              # TLS test certificates (src/kube/api)
  procps                                               # sysctl (test/e2e/ingress-scenarios.ts: tcp_ecn)
)
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
bash scripts/install-helm.sh   # the real helm binary for the chart tests (.tools/helm)

bash scripts/build.sh
