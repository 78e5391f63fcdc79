#!/usr/bin/env bash
# Fetches Debian packages from a suite other than the host's (bullseye, bookworm-backports, trixie, or
# bookworm's non-free) WITHOUT touching the host's apt configuration or dpkg state, and unpacks each with
# dpkg-deb -x. Nothing is installed; the result is a directory per package, cached by version:
#
#   scripts/debian-fetch.sh <suite> <component> <package>[=<version>]...
#   → prints one line per package: <package> <version> <directory>
#
#   $PACER_CACHE/debian/<suite>/<component>/apt/          the private apt state (lists, archives)
#   $PACER_CACHE/debian/<suite>/<component>/<package>_<version>/   the unpacked package
#
# PACER_CACHE defaults to /var/cache/pacer. A package whose resolved version is already unpacked is not
# downloaded again; the package lists are refreshed at most once a day.
set -euo pipefail
if [ "$#" -lt 3 ]; then
  echo "usage: scripts/debian-fetch.sh <suite> <component> <package>[=<version>]..." >&2
  exit 2
fi
suite=$1 component=$2
shift 2
cache=${PACER_CACHE:-/var/cache/pacer}/debian/$suite/$component
state=$cache/apt
mkdir -p "$state/lists/partial" "$state/archives/partial" "$state/etc"
echo "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian $suite $component" >"$state/etc/sources.list"
apt_options=(
  -o Dir::Etc::SourceList="$state/etc/sources.list"
  -o Dir::Etc::SourceParts=/dev/null
  -o Dir::State::Lists="$state/lists"
  -o Dir::State::Status=/dev/null
  -o Dir::Cache="$state"
  -o Dir::Cache::Archives="$state/archives"
  -o Debug::NoLocking=1
  -o APT::Sandbox::User=root
  # The host's apt.conf.d/50appstream asks for DEP-11 metadata: not needed here.
  -o Acquire::IndexTargets::deb::DEP-11::DefaultEnabled=false
  -o Acquire::IndexTargets::deb::DEP-11-icons-small::DefaultEnabled=false
  -o Acquire::IndexTargets::deb::DEP-11-icons::DefaultEnabled=false
  -o Acquire::IndexTargets::deb::DEP-11-icons-hidpi::DefaultEnabled=false
)
stamp=$state/updated
if [ ! -f "$stamp" ] || [ -n "$(find "$stamp" -mmin +1440)" ]; then
  apt-get "${apt_options[@]}" -qq update
  touch "$stamp"
fi
for wanted in "$@"; do
  package=${wanted%%=*}
  if [ "$wanted" != "$package" ]; then
    version=${wanted#*=}
  else
    version=$(apt-cache "${apt_options[@]}" policy "$package" | awk '/Candidate:/ {print $2}')
  fi
  if [ -z "$version" ] || [ "$version" = "(none)" ]; then
    echo "debian-fetch: $package is not in $suite/$component" >&2
    exit 1
  fi
  target=$cache/${package}_${version}
  if [ ! -f "$target/.unpacked" ]; then
    (cd "$state/archives" && apt-get "${apt_options[@]}" -qq download "$package=$version")
    deb=$(ls "$state/archives/${package}_"*.deb | grep -F "_${version//:/%3a}_" | head -n 1)
    rm -rf "$target"
    mkdir -p "$target"
    dpkg-deb -x "$deb" "$target"
    touch "$target/.unpacked"
  fi
  echo "$package $version $target"
done
