#!/usr/bin/env bash
# Fetches the newest kernel UAPI headers (Debian sid's linux-libc-dev) into .cache/uapi with a
# private apt configuration: the system's apt sources, lists and status are never touched.
# The generator (scripts/gen-uapi.mjs) and the C checks in test/uapi.test.ts read them from there.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
dest=${TSBPF_UAPI:-$root/.cache/uapi}
want=${TSBPF_UAPI_VERSION:-7.2.13-1}   # the version the committed files were generated from
apt=$root/.cache/apt-sid
if [[ -f $dest/VERSION && -f $dest/usr/include/linux/bpf.h ]]; then
  echo "uapi: linux-libc-dev $(cat "$dest/VERSION") already in $dest"
  exit 0
fi
# shellcheck source=lib/private-apt.sh
. "$root/scripts/lib/private-apt.sh"
private_apt "$apt" sid http://deb.debian.org/debian
apt-get -q update >/dev/null
cd "$apt"
rm -f linux-libc-dev_*.deb
# sid keeps only its newest build: take the pinned one when it is still there, else the newest.
apt-get -q download "linux-libc-dev=$want" >/dev/null 2>&1 || apt-get -q download linux-libc-dev >/dev/null
deb=$(ls linux-libc-dev_*.deb | head -n1)
ver=$(dpkg-deb -f "$deb" Version)
rm -rf "$dest" && mkdir -p "$dest"
dpkg-deb -x "$deb" "$dest"
echo "$ver" > "$dest/VERSION"
echo "uapi: linux-libc-dev $ver in $dest"
