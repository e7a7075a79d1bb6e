#!/usr/bin/env bash
# Fetches the test kernels listed in vm/kernels.list and unpacks each into
# .cache/vm/kernels/<name>/:
#   vmlinuz       the kernel image
#   release       its `uname -r`
#   version       the Debian package version
#   root/         the unpacked packages, with lib/modules/<release>/ indexed by depmod
#
#   bash vm/kernels.sh [--refresh] [name...]      (names from vm/kernels.list; default: all)
#
# Each suite gets a private apt configuration under .cache/vm/apt/<suite>/: its own
# sources, lists, cache and an empty dpkg status, so the system's apt state is never read or
# changed. Archives are verified with the system's Debian keyring. The exact kernel is whatever
# the suite's `linux-image-amd64` metapackage depends on today; a kernel already unpacked is reused
# without touching the network unless --refresh is given (sid moves fast).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
cache=$(dirname "$here")/.cache/vm
keyring=/usr/share/keyrings/debian-archive-keyring.gpg

refresh=0
names=()
for a in "$@"; do
  case $a in
    --refresh) refresh=1 ;;
    -*) echo "kernels: unknown option $a" >&2; exit 2 ;;
    *) names+=("$a") ;;
  esac
done

# shellcheck source=../scripts/lib/private-apt.sh
. "$(dirname "$here")/scripts/lib/private-apt.sh"

log() { echo "kernels: $*" >&2; }
die() { log "$*"; exit 1; }

for tool in apt-get dpkg-deb depmod; do
  command -v "$tool" >/dev/null || die "$tool not found; run: bash vm/install-deps.sh"
done

# Prints the kernel packages behind linux-image-amd64: the versioned image and, where the suite
# splits it (sid), the linux-binary-/linux-modules-/linux-base-<version> packages it depends on.
kernel_packages() {
  local todo=(linux-image-amd64) seen=" " p deps
  while ((${#todo[@]})); do
    p=${todo[0]}; todo=("${todo[@]:1}")
    [[ $seen == *" $p "* ]] && continue
    seen+="$p "
    [[ $p == linux-image-amd64 ]] || echo "$p"
    deps=$(apt-cache show --no-all-versions "$p" | sed -n 's/^\(Pre-\)\?Depends: //p' | tr ',|' '\n\n' |
      sed 's/[[:space:]]*(.*//; s/^[[:space:]]*//; s/:any$//' | grep -E '^linux-(image|binary|modules|base)-[0-9]' || true)
    todo+=($deps)
  done
}

fetch_one() {
  local name=$1 suite=$2 url=$3
  local out=$cache/kernels/$name
  if [[ -f $out/ready && $refresh == 0 ]]; then
    log "$name: $(cat "$out/release") ($suite $(cat "$out/version")) already in $out"
    return
  fi
  private_apt "$cache/apt/$suite" "$suite" "$url" "$keyring"
  log "$name: updating the $suite package lists"
  apt-get -q update >/dev/null || die "$name: apt-get update failed for $suite ($url)"

  local pkgs=() p
  mapfile -t pkgs < <(kernel_packages)
  ((${#pkgs[@]})) || die "$name: linux-image-amd64 in $suite depends on no kernel package"
  local image=${pkgs[0]}
  local version
  version=$(apt-cache show --no-all-versions "$image" | sed -n 's/^Version: //p' | head -n1)
  if [[ -f $out/ready && $(cat "$out/version") == "$version" && $(cat "$out/package") == "$image" ]]; then
    log "$name: $image $version is current"
    return
  fi

  local tmp=$cache/kernels/.$name.tmp
  rm -rf "$tmp" && mkdir -p "$tmp/debs" "$tmp/root"
  log "$name: downloading ${pkgs[*]} ($version)"
  (cd "$tmp/debs" && apt-get -q download "${pkgs[@]}" >/dev/null) || die "$name: download failed"
  log "$name: unpacking"
  for p in "$tmp"/debs/*.deb; do dpkg-deb -x "$p" "$tmp/root"; done
  rm -rf "$tmp/debs" "$tmp/root/usr/share/doc"

  # Modules live in lib/modules (old) or usr/lib/modules (sid); depmod -b wants lib/modules.
  [[ -e $tmp/root/lib ]] || ln -s usr/lib "$tmp/root/lib"
  local moddir release
  moddir=$(find "$tmp/root/lib/modules/" -mindepth 1 -maxdepth 1 -type d | head -n1)
  [[ -n $moddir ]] || die "$name: no lib/modules/<release> in ${pkgs[*]}"
  release=$(basename "$moddir")
  local vmlinuz=$tmp/root/boot/vmlinuz-$release
  [[ -f $vmlinuz ]] || vmlinuz=$moddir/vmlinuz
  [[ -f $vmlinuz ]] || die "$name: no vmlinuz for $release in ${pkgs[*]}"
  depmod -b "$tmp/root" "$release"
  ln -s "root/${vmlinuz#"$tmp/root/"}" "$tmp/vmlinuz"
  echo "$release" > "$tmp/release"
  echo "$version" > "$tmp/version"
  echo "$image" > "$tmp/package"
  echo "$suite" > "$tmp/suite"
  date -u +%FT%TZ > "$tmp/ready"
  rm -rf "$out" && mv "$tmp" "$out"
  log "$name: $release ($suite $version) in $out"
}

# One fetcher at a time: overlapping runs share .cache/vm.
mkdir -p "$cache"
exec 9>"$cache/.lock"
flock 9

found=0
while read -r name suite url rest; do
  [[ -z $name || $name == \#* ]] && continue
  if ((${#names[@]})); then
    [[ " ${names[*]} " == *" $name "* ]] || continue
  fi
  found=$((found + 1))
  fetch_one "$name" "$suite" "$url"
done < "$here/kernels.list"
want=${#names[@]}
((want == 0 || found == want)) || die "unknown kernel name in: ${names[*]} (see vm/kernels.list)"
