#!/usr/bin/env bash
# Builds the initramfs of one test kernel (fetched by vm/kernels.sh) into
# .cache/vm/kernels/<name>/initramfs.cpio: a static busybox, vm/guest/init as /init, and
# the modules that mount the 9p shares, in load order, decompressed (busybox insmod cannot read
# .ko.xz). Rebuilt only when the kernel, busybox or vm/guest/init changed.
#
#   bash vm/initramfs.sh <name>...
set -euo pipefail
shopt -s inherit_errexit

here=$(cd "$(dirname "$0")" && pwd)
cache=$(dirname "$here")/.cache/vm
busybox=/bin/busybox
# What /init needs before the project is mounted; modprobe adds the dependencies.
modules=(virtio_pci 9pnet_virtio 9p)

die() { echo "initramfs: $*" >&2; exit 1; }

# ldd fails on a static binary: that is the one wanted (the initramfs has no libc).
[[ -x $busybox ]] && ! ldd "$busybox" >/dev/null 2>&1 ||
  die "$busybox is missing or not static; run: bash vm/install-deps.sh"

# Prints the module files <name> needs, dependencies first, relative to lib/modules/<release>/.
load_order() {
  local kroot=$1 release=$2 m line lines seen=" "
  for m in "${modules[@]}"; do
    lines=$(modprobe -d "$kroot" -S "$release" --show-depends "$m")
    while read -r line; do
      case $line in
        insmod\ *) line=${line#insmod }; line=${line%% *}; line=${line#"$kroot/lib/modules/$release/"} ;;
        builtin\ *) continue ;;
        *) die "unexpected modprobe output for $m: $line" ;;
      esac
      [[ $seen == *" $line "* ]] && continue
      seen+="$line "
      echo "$line"
    done <<< "$lines"
  done
}

build() {
  local name=$1 dir=$cache/kernels/$1
  [[ -f $dir/ready ]] || die "$name: kernel not fetched; run: bash vm/kernels.sh $name"
  local out=$dir/initramfs.cpio release
  release=$(cat "$dir/release")
  if [[ -f $out && $out -nt $dir/ready && $out -nt $here/guest/init && $out -nt $busybox && $out -nt $here/initramfs.sh ]]; then
    echo "initramfs: $name: up to date" >&2
    return
  fi
  local tmp
  tmp=$(mktemp -d)
  trap 'rm -rf "$tmp"' RETURN
  mkdir -p "$tmp"/{bin,dev,proc,sys,newroot,lib/modules}
  cp "$busybox" "$tmp/bin/busybox"
  install -m 755 "$here/guest/init" "$tmp/init"
  local ko dest order
  order=$(load_order "$dir/root" "$release")
  : > "$tmp/modules.load"
  while read -r ko; do
    dest=${ko##*/}
    case $ko in
      *.ko.xz) xz -dc "$dir/root/lib/modules/$release/$ko" > "$tmp/lib/modules/${dest%.xz}"; dest=${dest%.xz} ;;
      *.ko.zst) zstd -qdc "$dir/root/lib/modules/$release/$ko" > "$tmp/lib/modules/${dest%.zst}"; dest=${dest%.zst} ;;
      *.ko) cp "$dir/root/lib/modules/$release/$ko" "$tmp/lib/modules/$dest" ;;
      *) die "$name: unknown module format: $ko" ;;
    esac
    echo "$dest" >> "$tmp/modules.load"
  done <<< "$order"
  (cd "$tmp" && find . -print0 | LC_ALL=C sort -z | cpio --null -o -H newc --quiet) > "$out.tmp"
  mv "$out.tmp" "$out"
  echo "initramfs: $name: $(tr '\n' ' ' < "$tmp/modules.load")-> $out" >&2
}

(($#)) || die "usage: initramfs.sh <kernel name>..."
# One builder at a time: overlapping runs share .cache/vm.
mkdir -p "$cache"
exec 9>"$cache/.lock"
flock 9
for name in "$@"; do build "$name"; done
