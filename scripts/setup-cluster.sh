#!/usr/bin/env bash
# Installs the Kubernetes control plane the cluster tests start (lab/cluster/), from registries only, cached
# by version so a second run builds and downloads nothing:
#
#   kube-apiserver, kubectl   built from the Go module proxy: module k8s.io/kubernetes at the release pinned in
#                             lab/cluster/kube-build/go.mod (its go.sum pins every module), with the flags of
#                             Kubernetes' own release build → $PACER_CACHE/kube/<version>/
#   etcd, etcdctl             Debian trixie's etcd-server and etcd-client (3.5: bookworm's 3.4 is older than
#                             what kube-apiserver 1.35 supports), fetched and unpacked by scripts/debian-fetch.sh
#                             → $PACER_CACHE/debian/trixie/main/<package>_<version>/
#
# Go's module and build caches are $PACER_CACHE/go/{mod,build}. The result is described in .tools/cluster.json
# (paths and versions), which lab/cluster/tools.ts reads. PACER_CACHE defaults to /var/cache/pacer.
#
#   bash scripts/setup-cluster.sh
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)
cache=${PACER_CACHE:-/var/cache/pacer}
module=$repo/lab/cluster/kube-build

go=$(command -v go || true)
[ -z "$go" ] && [ -x /usr/local/go/bin/go ] && go=/usr/local/go/bin/go
if [ -z "$go" ]; then
  echo "setup-cluster: no go command: install Go >= 1.25 (the module in lab/cluster/kube-build needs it)" >&2
  exit 1
fi
export GOMODCACHE=$cache/go/mod GOCACHE=$cache/go/build GOTOOLCHAIN=local CGO_ENABLED=0
export GOFLAGS="-mod=readonly -buildvcs=false"

cd "$module"
version=$("$go" list -m -f '{{.Version}}' k8s.io/kubernetes)
[[ $version =~ ^v([0-9]+)\.([0-9]+)\. ]] || { echo "setup-cluster: cannot read a version from '$version'" >&2; exit 1; }
major=${BASH_REMATCH[1]} minor=${BASH_REMATCH[2]}
out=$cache/kube/$version
# As Kubernetes' hack/lib/version.sh stamps a release. The proxy knows no git commit (left empty); the build
# date is the release's time on the proxy, so two builds of the same inputs are the same bytes.
released=$("$go" list -m -f '{{.Time}}' k8s.io/kubernetes | sed -E 's/ \+0000 UTC$//; s/ /T/; s/$/Z/')
ldflags=""
for package in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
  ldflags+=" -X $package.gitVersion=$version -X $package.gitMajor=$major -X $package.gitMinor=$minor"
  ldflags+=" -X $package.gitCommit= -X $package.gitTreeState=clean -X $package.buildDate=$released"
done
# The release build's flags (hack/lib/golang.sh): static, trimmed paths, stripped, these tags.
tags=selinux,notest,grpcnotrace
# Rebuilt when the inputs change under the same version: the module's requirements, the Go, the flags.
key=$( (cat go.mod go.sum; "$go" version; echo "$tags $ldflags") | sha256sum | cut -c1-16)
if [ "$(cat "$out/.built-from" 2>/dev/null)" != "$key" ]; then
  mkdir -p "$out"
  for tool in kube-apiserver kubectl; do
    started=$(date +%s)
    echo "setup-cluster: building $tool $version from the Go module proxy (first time: minutes)"
    "$go" build -trimpath -tags "$tags" -ldflags "all=$ldflags -s -w" \
      -o "$out/$tool.partial" "k8s.io/kubernetes/cmd/$tool"
    mv -f "$out/$tool.partial" "$out/$tool"
    echo "setup-cluster: $tool built in $(($(date +%s) - started)) s → $out/$tool"
  done
  echo "$key" >"$out/.built-from"
fi
cd "$repo"

etcd_server=
etcd_client=
while read -r package package_version directory; do
  case "$package" in
    etcd-server) etcd_server=$directory etcd_version=$package_version ;;
    etcd-client) etcd_client=$directory ;;
  esac
done < <(bash scripts/debian-fetch.sh trixie main etcd-server etcd-client)
[ -x "$etcd_server/usr/bin/etcd" ] || { echo "setup-cluster: $etcd_server/usr/bin/etcd missing after the fetch" >&2; exit 1; }

mkdir -p .tools
cat >.tools/cluster.json.partial <<EOF
{
  "kubernetesVersion": "$version",
  "kubeApiserver": "$out/kube-apiserver",
  "kubectl": "$out/kubectl",
  "etcdDebianVersion": "$etcd_version",
  "etcd": "$etcd_server/usr/bin/etcd",
  "etcdctl": "$etcd_client/usr/bin/etcdctl"
}
EOF
mv -f .tools/cluster.json.partial .tools/cluster.json
echo "setup-cluster: kube-apiserver and kubectl $version, etcd $etcd_version (.tools/cluster.json)"
