#!/usr/bin/env bash
# Builds the examples' BPF programs with Debian's clang-19 (apt-get install clang-19 libbpf-dev;
# __TARGET_ARCH_x86 for the pt_regs of libbpf's bpf_tracing.h and usdt.bpf.h).
# The .o files are committed, so running the examples needs no compiler; rerun after editing a .bpf.c.
set -euo pipefail
cd "$(dirname "$0")"
for c in *.bpf.c; do
  clang-19 -O2 -g -ffile-prefix-map="$PWD"=. -target bpf -D__TARGET_ARCH_x86 -I/usr/include/x86_64-linux-gnu -c "$c" -o "${c%.c}.o"
done
