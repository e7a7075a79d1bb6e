#!/usr/bin/env bash
# npm run setup: what a fresh Debian 12 machine needs to run the examples and the tests.
# System packages first (as root, only those missing): gcc and libc headers (tests compile small C
# helpers and the benchmark's C baseline), llvm-19 (llvm-mc checks the signal-mask stub's bytes),
# clang-19 (BPF C fixtures, and the C headers format("c") prints), bpftool (the oracle of BTF dumps,
# map dumps and loads), libbpf-dev (the benchmarks' C baselines, usdt.bpf.h and the USDT oracle),
# systemtap-sdt-dev (sys/sdt.h: the USDT tests' target), python3 (its USDT probes: examples/pyimports),
# iproute2 and util-linux (ip netns
# and nsenter: the network attach tests and examples make their own namespaces).
# Then npm ci (vitest, typescript, esbuild, koffi, and Deno and Bun as npm packages) and the
# newest kernel UAPI header the generator reads.
set -euo pipefail
cd "$(dirname "$0")/.."

pkgs=(gcc libc6-dev ca-certificates llvm-19 clang-19 bpftool libbpf-dev systemtap-sdt-dev python3 iproute2 util-linux)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if ((${#missing[@]})); then
  if [[ $(id -u) == 0 ]] && command -v apt-get >/dev/null; then
    echo "setup: installing ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -q >/dev/null
    apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
  else
    echo "setup: missing system packages ${missing[*]} (as root: apt-get install ${missing[*]}); tests that need them will say so" >&2
  fi
fi

npm ci --no-audit --no-fund
bash scripts/fetch-uapi.sh
