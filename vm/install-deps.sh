#!/usr/bin/env bash
# Installs the host packages the VM matrix needs (vm/run.mjs): QEMU, a static busybox for the
# guests' initramfs, cpio to pack it, kmod (depmod/modprobe for the test kernels' modules) and
# the decompressors for kernel packages and modules. Idempotent: when everything is already
# there it neither updates apt lists nor installs anything.
# Debian 12, as root. Uses the system's apt (these are host tools, not test kernels).
set -euo pipefail

pkgs=(qemu-system-x86 busybox-static cpio kmod xz-utils zstd)

missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if ((${#missing[@]} == 0)); then
  echo "vm deps: all installed (${pkgs[*]})"
  exit 0
fi
if [[ $(id -u) != 0 ]]; then
  echo "vm deps: missing ${missing[*]}; run as root: bash vm/install-deps.sh" >&2
  exit 1
fi
echo "vm deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -q >/dev/null
apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
echo "vm deps: done"
