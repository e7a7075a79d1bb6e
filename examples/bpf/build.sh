#!/usr/bin/env bash
# Builds the examples' BPF programs with Debian's clang-19 (apt-get install clang-19 libbpf-dev).
# The .o files are committed, so running the examples needs no compiler; rerun after editing a .bpf.c.
set -euo pipefail
cd "$(dirname "$0")"
for c in *.bpf.c; do
  clang-19 -O2 -g -ffile-prefix-map="$PWD"=. -target bpf -I/usr/include/x86_64-linux-gnu -c "$c" -o "${c%.c}.o"
done
