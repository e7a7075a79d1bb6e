#!/usr/bin/env bash
# Regenerates test/asm/corpus/: assembly sources covering the whole instruction set, the bytes
# llvm-mc makes of them and the text llvm-objdump prints for those bytes, for bpfel and bpfeb,
# with immediates in decimal and in hex. The asm tests compare tsbpf against these files, so
# they run without LLVM installed.
#
#   apt-get install -y llvm-19 && bash scripts/gen-asm-corpus.sh
#   bash scripts/gen-asm-corpus.sh --check   # regenerate elsewhere; exit 1 if the committed corpus differs
#
# Sources are generated here (loops over registers, operators, edge immediates and offsets) so
# that the corpus is complete by construction rather than by hand; expr.s has llvm-mc's expressions,
# .set/.equ/.equiv symbols and C's integer suffixes in every kind of operand. Two files are not LLVM 19's:
# acqrel.* (load-acquire/store-release, which LLVM 19 does not know: kernel encoding, newer
# LLVM's syntax, expected text written here) and random.* (valid encodings from a fixed LCG,
# assembled from .quad data so every field value is reachable, text from llvm-objdump).
set -euo pipefail
cd "$(dirname "$0")/.."

LLVM=${LLVM_BIN:-/usr/lib/llvm-19/bin}
MC=$LLVM/llvm-mc
OBJDUMP=$LLVM/llvm-objdump
OBJCOPY=$LLVM/llvm-objcopy
for t in "$MC" "$OBJDUMP" "$OBJCOPY"; do
  [[ -x $t ]] || { echo "missing $t: apt-get install -y llvm-19 (or set LLVM_BIN)" >&2; exit 1; }
done
"$MC" --version | grep -q 'version 19\.' || { echo "expected LLVM 19, got: $("$MC" --version | grep version)" >&2; exit 1; }

TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
COMMITTED=test/asm/corpus
CHECK=0
[[ ${1:-} == --check ]] && CHECK=1
if ((CHECK)); then OUT=$TMP/corpus; else OUT=$COMMITTED; fi
mkdir -p "$OUT"
rm -f "$OUT"/*.s "$OUT"/*.hex "$OUT"/*.txt

REGS=(0 1 2 3 4 5 6 7 8 9 10)
# Immediates chosen for their bit patterns: zero, one, sign edges, all ones, and spellings
# (hex, the unsigned form of a negative) that must give the same bytes as the canonical one.
IMMS=(0 1 -1 42 -42 2147483647 -2147483648 0x7fffffff 0x80000000 0xffffffff 4294967295 65535 -65536)
OFFS=(0 1 -1 8 -8 32767 -32768 0x10 0x7fff)

# "+ 5" / "- 5" as LLVM writes a memory offset.
memoff() {
  local v=$1
  if [[ $v == -* ]]; then echo "- ${v#-}"; else echo "+ $v"; fi
}
# "+5" / "-5" as LLVM writes a jump offset.
jmpoff() {
  local v=$1
  if [[ $v == -* ]]; then echo "$v"; else echo "+$v"; fi
}

gen_alu() {
  local ops=("+=" "-=" "*=" "/=" "|=" "&=" "<<=" ">>=" "%=" "^=" "=" "s>>=" "s/=" "s%=")
  local p op i d
  for p in r w; do
    echo "# ALU$([[ $p == r ]] && echo 64 || echo 32), immediate and register sources"
    for op in "${ops[@]}"; do
      i=0
      for imm in "${IMMS[@]}"; do
        echo "$p$((i % 11)) $op $imm"
        i=$((i + 1))
      done
      for d in "${REGS[@]}"; do echo "$p$d $op $p$(((d + 3) % 11))"; done
    done
    for d in "${REGS[@]}"; do
      for s in "${REGS[@]}"; do echo "$p$d = $p$s"; done
    done
    for d in "${REGS[@]}"; do echo "$p$d = -$p$d"; done
  done
  echo "# sign-extending moves"
  for d in "${REGS[@]}"; do
    s=$(((d + 5) % 11))
    echo "r$d = (s8)r$s"
    echo "r$d = (s16)r$s"
    echo "r$d = (s32)r$s"
    echo "w$d = (s8)w$s"
    echo "w$d = (s16)w$s"
  done
  echo "# byte swaps"
  for d in "${REGS[@]}"; do
    for b in 16 32 64; do
      echo "r$d = le$b r$d"
      echo "r$d = be$b r$d"
      echo "r$d = bswap$b r$d"
    done
  done
  echo "# address space casts"
  for d in "${REGS[@]}"; do
    echo "r$d = addr_space_cast(r$(((d + 1) % 11)), $((d % 3)), $(((d + 1) % 2)))"
  done
  echo "r1 = addr_space_cast(r2, 65535, 65535)"
  echo "r1 = addr_space_cast(r2, 0, 0)"
}

gen_mem() {
  local sz i d s off
  echo "# loads"
  i=0
  for sz in u8 u16 u32 u64; do
    for off in "${OFFS[@]}"; do
      d=$((i % 11)); s=$(((i + 4) % 11)); i=$((i + 1))
      echo "r$d = *($sz *)(r$s $(memoff "$off"))"
      [[ $sz != u64 ]] && echo "w$s = *($sz *)(r$d $(memoff "$off"))"
    done
    for d in "${REGS[@]}"; do echo "r$d = *($sz *)(r$(((d + 7) % 11)) + 0)"; done
  done
  echo "# sign-extending loads"
  for sz in s8 s16 s32; do
    for off in "${OFFS[@]}"; do
      d=$((i % 11)); s=$(((i + 4) % 11)); i=$((i + 1))
      echo "r$d = *($sz *)(r$s $(memoff "$off"))"
    done
    for d in "${REGS[@]}"; do echo "r$d = *($sz *)(r$(((d + 7) % 11)) + 0)"; done
  done
  echo "# stores of an immediate"
  for sz in u8 u16 u32 u64; do
    for imm in "${IMMS[@]}"; do
      d=$((i % 11)); off=${OFFS[$((i % ${#OFFS[@]}))]}; i=$((i + 1))
      echo "*($sz *)(r$d $(memoff "$off")) = $imm"
    done
  done
  echo "# stores of a register"
  for sz in u8 u16 u32 u64; do
    for off in "${OFFS[@]}"; do
      d=$((i % 11)); s=$(((i + 2) % 11)); i=$((i + 1))
      echo "*($sz *)(r$d $(memoff "$off")) = r$s"
      [[ $sz != u64 ]] && echo "*($sz *)(r$s $(memoff "$off")) = w$d"
    done
    for d in "${REGS[@]}"; do echo "*($sz *)(r$d + 0) = r$(((d + 6) % 11))"; done
  done
  echo "# legacy packet loads"
  for sz in u8 u16 u32; do
    for imm in "${IMMS[@]}"; do echo "r0 = *($sz *)skb[$imm]"; done
    for s in "${REGS[@]}"; do echo "r0 = *($sz *)skb[r$s]"; done
  done
}

gen_atomic() {
  local p sz i d s off op fop
  i=0
  for sz in u32 u64; do
    if [[ $sz == u32 ]]; then p=w; x=32_32; c=cmpxchg32_32; else p=r; x=_64; c=cmpxchg_64; fi
    echo "# atomics on $sz"
    for op in "+=" "|=" "&=" "^="; do
      for off in "${OFFS[@]}"; do
        d=$((i % 11)); s=$(((i + 3) % 11)); i=$((i + 1))
        echo "lock *($sz *)(r$d $(memoff "$off")) $op $p$s"
      done
    done
    for fop in add or and xor; do
      for off in "${OFFS[@]}"; do
        d=$((i % 11)); s=$(((i + 3) % 11)); i=$((i + 1))
        echo "$p$s = atomic_fetch_$fop(($sz *)(r$d $(memoff "$off")), $p$s)"
      done
    done
    for off in "${OFFS[@]}"; do
      d=$((i % 11)); s=$(((i + 3) % 11)); i=$((i + 1))
      echo "$p$s = xchg$x(r$d $(memoff "$off"), $p$s)"
      echo "${p}0 = $c(r$d $(memoff "$off"), ${p}0, $p$s)"
    done
    for d in "${REGS[@]}"; do
      s=$(((d + 5) % 11))
      echo "lock *($sz *)(r$d + 0) += $p$s"
      echo "$p$s = atomic_fetch_add(($sz *)(r$d + 0), $p$s)"
      echo "$p$s = xchg$x(r$d + 0, $p$s)"
      echo "${p}0 = $c(r$d + 0, ${p}0, $p$s)"
    done
  done
}

gen_ld() {
  local i d v p imm
  echo "# 64-bit immediates"
  i=0
  for v in 0 1 -1 2147483647 -2147483648 4294967295 4294967296 -4294967296 9223372036854775807 \
    -9223372036854775808 0x1122334455667788 0xffffffffffffffff 18446744073709551615 0x8000000000000000; do
    echo "r$((i % 11)) = $v ll"
    i=$((i + 1))
  done
  for d in "${REGS[@]}"; do echo "r$d = $((d * 1000003)) ll"; done
  echo "# pseudo 64-bit immediates (map fd, map value, btf id, func, map idx, map idx value)"
  for p in 1 2 3 4 5 6; do
    for imm in 0 1 -1 2147483647 -2147483648 4294967295 0x80000000; do
      echo "ld_pseudo r$((i % 11)), $p, $imm"
      i=$((i + 1))
    done
  done
  for d in "${REGS[@]}"; do echo "ld_pseudo r$d, 1, $d"; done
}

gen_jmp() {
  local ops=("==" ">" ">=" "&" "!=" "s>" "s>=" "<" "<=" "s<" "s<=")
  local p op i d imm off
  i=0
  for p in r w; do
    echo "# JMP$([[ $p == w ]] && echo 32), immediate and register sources"
    for op in "${ops[@]}"; do
      for imm in "${IMMS[@]}"; do
        off=${OFFS[$((i % ${#OFFS[@]}))]}
        echo "if $p$((i % 11)) $op $imm goto $(jmpoff "$off")"
        i=$((i + 1))
      done
      for d in "${REGS[@]}"; do
        off=${OFFS[$((i % ${#OFFS[@]}))]}
        echo "if $p$d $op $p$(((d + 4) % 11)) goto $(jmpoff "$off")"
        i=$((i + 1))
      done
    done
  done
  echo "# unconditional jumps"
  for off in 0 1 -1 2 -2 32767 -32768; do
    echo "goto $(jmpoff "$off")"
    echo "gotol $(jmpoff "$off")"
    echo "may_goto $(jmpoff "$off")"
  done
  echo "goto 3"
  echo "# calls"
  for imm in 0 1 2 -1 12 2147483647 -2147483648 4294967295 0x80000000; do echo "call $imm"; done
  for d in "${REGS[@]}"; do echo "callx r$d"; done
  echo "exit"
}

gen_labels() {
  cat <<'EOF'
# Labels: jumps, long jumps and bpf-to-bpf calls resolved by the assembler.
entry:
	r1 = 0
	if r1 == 0 goto out
	if w1 s< -3 goto entry
back:	r0 = 1
	goto back
	gotol out
	gotol entry
	may_goto out
	call func
	call entry
	r2 = 5 ll
	if r2 > r1 goto .Llocal
	goto .Llocal
.Llocal:
1:
	r3 += 1
	if r3 < 10 goto 1b
	goto 1f
	r0 = 2
1:	goto 1b
out:
	exit
func:
	call func
	r0 = 0
	exit
EOF
}

gen_syntax() {
  cat <<'EOF'
# Spelling that llvm-mc accepts and tsbpf must read the same way: comments of three kinds,
# blank lines, odd spacing, upper case, number bases, several statements on a line.

// a C++ comment line
/* a C comment */ r1 = 1
r1+=5
r1 +=5 # trailing comment
	r2	=	r1	// tabs
r3 = 0x10
r4 = 010
r5 = 0b101
r6 = +7
r7 = -0x7fffffff
R8 = 9
EXIT
GOTO +1
r1 = 1; r2 = 2 ; r3 = 3
exit;
if r1>3 goto +1
if r1 > 3 goto 1
if r1 s >= 5 goto +1
r1 s >>= 5
r1 = *(u8*)(r2+5)
r1 = *(u64 *)(r2 - 0)
*(u32 *)(r1 + 0) = r2
r1 = ( s8 )r2
w1=(s16)w2
lock *(u32 *)(r1 - 1) += r2
r1 = 4294967295
*(u8 *)(r10 + 0) = 256
r0 = *(u16 *)skb[4294967295]
ld_pseudo r1, 0, 5
call 4294967295
r1 = 18446744073709551615 ll
label_on_line: r0 = 0 # label then instruction
exit
EOF
}

gen_expr() {
  local sfx
  echo "# C's integer suffixes, which llvm-mc skips: every spelling, every base, every kind of operand."
  for sfx in u U l L ll LL ul uL Ul UL ull uLL Ull ULL uLl lL Ll; do
    echo "r1 = 5$sfx"
    echo "w2 += 0x7f$sfx"
    echo "r3 = 017$sfx"
    echo "r4 = 0b101$sfx"
    echo "r5 = -42$sfx"
    echo "r6 = 4294967295$sfx"
    echo "*(u32 *)(r10 - 8$sfx) = 7$sfx"
    echo "r0 = *(u64 *)(r1 + 0x10$sfx)"
    echo "lock *(u64 *)(r2 + 8$sfx) += r3"
    echo "if r1 s> -3$sfx goto +1$sfx"
    echo "if w1 == 0xffff$sfx goto -1$sfx"
    echo "goto +2$sfx"
    echo "gotol -2$sfx"
    echo "call 12$sfx"
    echo "r0 = *(u16 *)skb[4$sfx]"
    echo "ld_pseudo r1, 2$sfx, 3$sfx"
    echo "r1 = addr_space_cast(r2, 1$sfx, 0$sfx)"
    echo "r7 = 0xffffffff00000000$sfx ll"
    echo "r8 = -9223372036854775808$sfx ll"
    echo "r9 = 18446744073709551615$sfx ll"
    echo ".quad 0xb7000000000000b7$sfx" # r0 = imm in both byte orders
  done
  cat <<'EOT'
# As the kernel's verifier selftests write them.
r1 = 0xffffffff00000000LL ll
r2 = -9223372036854775808ULL ll
r3 = 0x7fffffffffffffffLL ll
r4 = 0x8000000000000000ULL ll
# .equ, .set and .equiv, in every kind of operand, redefined, and built from earlier symbols.
.equ foo, -1
if r1 > r2 goto foo + 2
goto foo
.set a, 5
.set b, a * 2 + 1
r1 = a
r2 = b
.set a, 7
r1 = a
r2 = b
.equ a, 9
r1 = a
.equiv c, b << 4 | 3
w3 = c
r4 = c ll
r5 = 0 - c
*(u64 *)(r10 - 8 - a) = b
r0 = *(u32 *)(r1 + 0 + c)
if r1 == a goto a
if w1 s< 0 - a goto 0 - a
call a
gotol a + 100
may_goto a
r0 = *(u8 *)skb[a * 4]
ld_pseudo r1, a - 8, b
r1 = addr_space_cast(r2, a, b)
.set big, 0x123456789abcdef0
r6 = big ll
r7 = big >> 32 ll
w8 = big & 0xffffffff
.set neg, 0 - 0x80000000
r9 = neg
.set x.y, 3
.set .Lz, x.y + 1
r1 = .Lz
# (.quad data that is an instruction in both byte orders: r0 = imm, r1 = imm.)
.quad 0xb7000000000000b7, 0xb7 << 56 | 0xb7 + 0
.8byte (0xb7 << 56) + (1 << 52) + (1 << 8) + 0xb7
# Arithmetic llvm-mc folds: precedence, signed division, -1 for a true comparison, logical >>.
r1 = 1 + 2 * 3 - 4 / 2
r1 = 1 | 2 + 3
r1 = 2 * (3 + 4) << 1
r1 = 1 + (2 * (3 - 1))
r1 = 7 / 2
r1 = -7 / 2
r1 = -7 % 2
r1 = 7 % -2
r1 = 1 << 4 | 3
r1 = 6 ^ 3
r1 = 6 & 3
r1 = 5 ! 1
r1 = 1 + ~5
r1 = 1 + -~5
r1 = 0 + !0
r1 = 0 + !5
r1 = 1 == 1
r1 = 1 != 1
r1 = 1 <> 2
r1 = 2 > 1
r1 = 2 >= 3
r1 = 3 < 4
r1 = 2 <= 2
r1 = 1 && 2
r1 = 0 && 2
r1 = 0 || 3
r1 = 0 || 0
r1 = 1 == 2 || 3 && 4
r1 = -8 >> 1 ll
r1 = -1 >> 63 ll
r1 = 1 << 63 ll
r1 = 0x7fffffffffffffff + 1 ll
r1 = 0x7fffffffffffffff * 2 ll
r1 = 0xffffffffffffffff / 2 ll
r1 = 0xffffffffffffffff
r1 = 0xffffffff80000000
r1 = 0 - (-9223372036854775807 - 1) ll
r1 = *(u64 *)(r2 + 8 * 2)
r1 = *(u64 *)(r2 - 8 + 4)
r1 = *(u64 *)(r2 - 1 << 2)
r1 = *(u64 *)(r2 + 1 == 1)
goto 1 + 1
goto 4 - 5
if r1 == 1 + 1 goto 2 * 3
call 1 + 2
# Labels through symbols and expressions: a jump takes a label alone, a call label +- bytes.
entry:
	exit
.set here, .
	r0 = 1
	goto here
	goto entry
.set after, entry + 16
	goto after
	gotol after
	may_goto after
	if r1 != 0 goto after
	call after
	call entry + 8
	call entry + 4
	call entry - 4
	call entry - 12
	call fwd + 16
	call 0 + .
.set fwdish, fwd
	goto fwdish
fwd:
	exit
1:
	goto 1 b
	goto 1ub
	goto 1Lb
	call 1b + 8
	goto 1 f
1:	exit
8:	goto 010b
	goto 0x8 b
	goto 0b1000b
EOT
}

# "b7 01 00 00 05 00 00 00" per 8-byte slot, from the .text of an object.
hexdump_text() {
  "$OBJCOPY" -O binary --only-section=.text "$1" "$TMP/text.bin"
  od -An -v -tx1 -w8 "$TMP/text.bin" | sed 's/^ //'
}

build() {
  local name=$1
  for e in el eb; do
    "$MC" -triple "bpf$e" -mcpu=v4 -filetype=obj "$OUT/$name.s" -o "$TMP/$name.$e.o"
    hexdump_text "$TMP/$name.$e.o" > "$OUT/$name.$e.hex"
    "$OBJDUMP" -d --mcpu=v4 --no-print-imm-hex "$TMP/$name.$e.o" | tail -n +6 > "$OUT/$name.$e.dec.txt"
    "$OBJDUMP" -d --mcpu=v4 "$TMP/$name.$e.o" | tail -n +6 > "$OUT/$name.$e.hex.txt"
  done
}

gen_alu > "$OUT/alu.s"
gen_mem > "$OUT/mem.s"
gen_atomic > "$OUT/atomic.s"
gen_ld > "$OUT/ld.s"
gen_jmp > "$OUT/jmp.s"
gen_labels > "$OUT/labels.s"
gen_syntax > "$OUT/syntax.s"
gen_expr > "$OUT/expr.s"
for n in alu mem atomic ld jmp labels syntax expr; do build "$n"; done

# Load-acquire and store-release: BPF_STX | BPF_ATOMIC | size with imm BPF_LOAD_ACQ (0x100) or
# BPF_STORE_REL (0x110), as the kernel defines them; text as LLVM 20+ prints it.
gen_acqrel() {
  local e=$1 i=0 sz code d s off v regs
  for sz in u8 u16 u32 u64; do
    case $sz in u8) code=0xd3 ;; u16) code=0xcb ;; u32) code=0xc3 ;; u64) code=0xdb ;; esac
    for off in 0 1 -1 32767 -32768; do
      d=$((i % 11)); s=$(((i + 3) % 11)); i=$((i + 1))
      for imm in 256 272; do
        if [[ $imm == 256 ]]; then regs_d=$d; regs_s=$s; else regs_d=$s; regs_s=$d; fi
        if [[ $e == el ]]; then
          v=$(((imm << 32) | ((off & 0xffff) << 16) | (((regs_s << 4) | regs_d) << 8) | code))
        else
          v=$(((code << 56) | (((regs_d << 4) | regs_s) << 48) | ((off & 0xffff) << 32) | imm))
        fi
        printf '.quad 0x%016x\n' "$v"
      done
    done
  done
}
gen_acqrel_text() {
  local i=0 sz d s off p o
  for sz in u8 u16 u32 u64; do
    [[ $sz == u64 ]] && p=r || p=w
    for off in 0 1 -1 32767 -32768; do
      d=$((i % 11)); s=$(((i + 3) % 11)); i=$((i + 1))
      if [[ $off == -* ]]; then o="- ${off#-}"; else o="+ $off"; fi
      echo "$p$d = load_acquire(($sz *)(r$s $o))"
      echo "store_release(($sz *)(r$s $o), $p$d)"
    done
  done
}
gen_acqrel el > "$TMP/acqrel.el.s"
gen_acqrel eb > "$TMP/acqrel.eb.s"
for e in el eb; do
  "$MC" -triple "bpf$e" -mcpu=v4 -filetype=obj "$TMP/acqrel.$e.s" -o "$TMP/acqrel.$e.o"
  hexdump_text "$TMP/acqrel.$e.o" > "$OUT/acqrel.$e.hex"
done
gen_acqrel_text > "$OUT/acqrel.s"

# Random valid encodings: every opcode with fields drawn from a 64-bit LCG, so that objdump's
# text is checked on values no hand-written source would pick. The generator knows which
# fields each opcode leaves free; all other fields stay zero.
lcg_state=20250101
rnd() { lcg_state=$(((lcg_state * 6364136223846793005 + 1442695040888963407) & 0x7fffffffffffffff)); r=$((lcg_state >> 20)); }
gen_random() {
  local n=0 code dst src off imm kind hi
  local alu=(0x00 0x10 0x20 0x30 0x40 0x50 0x60 0x70 0x90 0xa0 0xb0 0xc0)
  local jmp=(0x10 0x20 0x30 0x40 0x50 0x60 0x70 0xa0 0xb0 0xc0 0xd0)
  : > "$TMP/random.el.s"; : > "$TMP/random.eb.s"
  while ((n < 3000)); do
    rnd; kind=$((r % 17))
    rnd; dst=$((r % 11)); rnd; src=$((r % 11)); rnd; off=$(((r % 65536) - 32768)); rnd; imm=$(((r % 4294967296) - 2147483648))
    rnd; [[ $((r % 4)) == 0 ]] && imm=$(((r % 64) - 32))
    hi=""
    case $kind in
      0) rnd; code=$((${alu[$((r % 12))]} | (r % 2 ? 7 : 4))); src=0; off=0 ;;                      # alu K
      1) rnd; code=$((${alu[$((r % 12))]} | (r % 2 ? 7 : 4) | 8)); imm=0; off=0 ;;                  # alu X
      2) rnd; code=$(((r % 2) ? 0x37 : 0x97)); [[ $((r % 4)) -ge 2 ]] && code=$((code - 3)); src=0; off=1 ;; # sdiv/smod K
      3) rnd; code=$(((r % 2) ? 0x3f : 0x9f)); [[ $((r % 4)) -ge 2 ]] && code=$((code - 3)); imm=0; off=1 ;;
      4) rnd; code=$(((r % 2) ? 0xbf : 0xbc)); imm=0; if ((code == 0xbf)); then off=$((8 << (r % 3))); else off=$((8 << (r % 2))); fi ;;
      5) rnd; code=$((0xd4 + (r % 3 == 1 ? 8 : 0) + (r % 3 == 2 ? 3 : 0))); src=0; off=0; rnd; imm=$((16 << (r % 3))) ;;
      6) rnd; code=$((${jmp[$((r % 11))]} | (r % 2 ? 5 : 6))); src=0 ;;                              # jmp K
      7) rnd; code=$((${jmp[$((r % 11))]} | (r % 2 ? 5 : 6) | 8)); imm=0 ;;                          # jmp X
      8) rnd; case $((r % 5)) in
           0) code=0x05; dst=0; src=0; imm=0 ;;
           1) code=0x06; dst=0; src=0; off=0 ;;
           2) code=0xe5; dst=0; src=0; imm=0 ;;
           3) code=0x85; dst=0; src=$((r % 3)); [[ $src != 2 ]] && off=0 ;;
           4) code=0x8d; src=0; off=0; imm=0 ;;
         esac ;;
      9) rnd; code=$((0x61 + 8 * (r % 4))); imm=0 ;;                                                 # ldx
      10) rnd; code=$((0x81 + 8 * (r % 3))); imm=0 ;;                                               # ldsx
      11) rnd; code=$((0x62 + 8 * (r % 4))); src=0 ;;                                                # st
      12) rnd; code=$((0x63 + 8 * (r % 4))); imm=0 ;;                                                # stx
      13) rnd; code=$(((r % 2) ? 0xc3 : 0xdb)); rnd; local ai=(0x00 0x40 0x50 0xa0 0x01 0x41 0x51 0xa1 0xe1 0xf1); imm=${ai[$((r % 10))]} ;;
      14) rnd; code=$((0x20 + 8 * (r % 3))); rnd; if ((r % 2)); then code=$((code + 0x20)); dst=0; off=0; else dst=0; src=0; off=0; fi ;;
      15) code=0x18; off=0; rnd; src=$((r % 7)); rnd; hi=$(((r % 4294967296) - 2147483648)); [[ $src == 1 || $src == 4 || $src == 5 ]] && hi=0 ;;
      16) code=0x95; dst=0; src=0; off=0; imm=0 ;;
    esac
    # bpf_insn as a 64-bit integer in each byte order.
    printf '.quad 0x%016x\n' $(((code) | (((src << 4) | dst) << 8) | ((off & 0xffff) << 16) | ((imm & 0xffffffff) << 32))) >> "$TMP/random.el.s"
    printf '.quad 0x%016x\n' $(((code << 56) | (((dst << 4) | src) << 48) | ((off & 0xffff) << 32) | (imm & 0xffffffff))) >> "$TMP/random.eb.s"
    if [[ -n $hi ]]; then
      printf '.quad 0x%016x\n' $(((hi & 0xffffffff) << 32)) >> "$TMP/random.el.s"
      printf '.quad 0x%016x\n' $((hi & 0xffffffff)) >> "$TMP/random.eb.s"
    fi
    n=$((n + 1))
  done
}
gen_random
for e in el eb; do
  "$MC" -triple "bpf$e" -mcpu=v4 -filetype=obj "$TMP/random.$e.s" -o "$TMP/random.$e.o"
  hexdump_text "$TMP/random.$e.o" > "$OUT/random.$e.hex"
  "$OBJDUMP" -d --mcpu=v4 --no-print-imm-hex "$TMP/random.$e.o" | tail -n +6 > "$OUT/random.$e.dec.txt"
  "$OBJDUMP" -d --mcpu=v4 "$TMP/random.$e.o" | tail -n +6 > "$OUT/random.$e.hex.txt"
done

"$MC" --version | grep -m1 version > "$OUT/LLVM_VERSION.txt"
echo "corpus written to $OUT: $(cat "$OUT"/*.el.hex | wc -l) slots per byte order"

if ((CHECK)); then
  if diff -r -q "$OUT" "$COMMITTED"; then
    echo "asm corpus: $COMMITTED matches llvm-mc and llvm-objdump 19"
  else
    echo "asm corpus: $COMMITTED is stale: run 'npm run corpus:asm'" >&2
    exit 1
  fi
fi
