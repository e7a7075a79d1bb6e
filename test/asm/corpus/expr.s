# C's integer suffixes, which llvm-mc skips: every spelling, every base, every kind of operand.
r1 = 5u
w2 += 0x7fu
r3 = 017u
r4 = 0b101u
r5 = -42u
r6 = 4294967295u
*(u32 *)(r10 - 8u) = 7u
r0 = *(u64 *)(r1 + 0x10u)
lock *(u64 *)(r2 + 8u) += r3
if r1 s> -3u goto +1u
if w1 == 0xffffu goto -1u
goto +2u
gotol -2u
call 12u
r0 = *(u16 *)skb[4u]
ld_pseudo r1, 2u, 3u
r1 = addr_space_cast(r2, 1u, 0u)
r7 = 0xffffffff00000000u ll
r8 = -9223372036854775808u ll
r9 = 18446744073709551615u ll
.quad 0xb7000000000000b7u
r1 = 5U
w2 += 0x7fU
r3 = 017U
r4 = 0b101U
r5 = -42U
r6 = 4294967295U
*(u32 *)(r10 - 8U) = 7U
r0 = *(u64 *)(r1 + 0x10U)
lock *(u64 *)(r2 + 8U) += r3
if r1 s> -3U goto +1U
if w1 == 0xffffU goto -1U
goto +2U
gotol -2U
call 12U
r0 = *(u16 *)skb[4U]
ld_pseudo r1, 2U, 3U
r1 = addr_space_cast(r2, 1U, 0U)
r7 = 0xffffffff00000000U ll
r8 = -9223372036854775808U ll
r9 = 18446744073709551615U ll
.quad 0xb7000000000000b7U
r1 = 5l
w2 += 0x7fl
r3 = 017l
r4 = 0b101l
r5 = -42l
r6 = 4294967295l
*(u32 *)(r10 - 8l) = 7l
r0 = *(u64 *)(r1 + 0x10l)
lock *(u64 *)(r2 + 8l) += r3
if r1 s> -3l goto +1l
if w1 == 0xffffl goto -1l
goto +2l
gotol -2l
call 12l
r0 = *(u16 *)skb[4l]
ld_pseudo r1, 2l, 3l
r1 = addr_space_cast(r2, 1l, 0l)
r7 = 0xffffffff00000000l ll
r8 = -9223372036854775808l ll
r9 = 18446744073709551615l ll
.quad 0xb7000000000000b7l
r1 = 5L
w2 += 0x7fL
r3 = 017L
r4 = 0b101L
r5 = -42L
r6 = 4294967295L
*(u32 *)(r10 - 8L) = 7L
r0 = *(u64 *)(r1 + 0x10L)
lock *(u64 *)(r2 + 8L) += r3
if r1 s> -3L goto +1L
if w1 == 0xffffL goto -1L
goto +2L
gotol -2L
call 12L
r0 = *(u16 *)skb[4L]
ld_pseudo r1, 2L, 3L
r1 = addr_space_cast(r2, 1L, 0L)
r7 = 0xffffffff00000000L ll
r8 = -9223372036854775808L ll
r9 = 18446744073709551615L ll
.quad 0xb7000000000000b7L
r1 = 5ll
w2 += 0x7fll
r3 = 017ll
r4 = 0b101ll
r5 = -42ll
r6 = 4294967295ll
*(u32 *)(r10 - 8ll) = 7ll
r0 = *(u64 *)(r1 + 0x10ll)
lock *(u64 *)(r2 + 8ll) += r3
if r1 s> -3ll goto +1ll
if w1 == 0xffffll goto -1ll
goto +2ll
gotol -2ll
call 12ll
r0 = *(u16 *)skb[4ll]
ld_pseudo r1, 2ll, 3ll
r1 = addr_space_cast(r2, 1ll, 0ll)
r7 = 0xffffffff00000000ll ll
r8 = -9223372036854775808ll ll
r9 = 18446744073709551615ll ll
.quad 0xb7000000000000b7ll
r1 = 5LL
w2 += 0x7fLL
r3 = 017LL
r4 = 0b101LL
r5 = -42LL
r6 = 4294967295LL
*(u32 *)(r10 - 8LL) = 7LL
r0 = *(u64 *)(r1 + 0x10LL)
lock *(u64 *)(r2 + 8LL) += r3
if r1 s> -3LL goto +1LL
if w1 == 0xffffLL goto -1LL
goto +2LL
gotol -2LL
call 12LL
r0 = *(u16 *)skb[4LL]
ld_pseudo r1, 2LL, 3LL
r1 = addr_space_cast(r2, 1LL, 0LL)
r7 = 0xffffffff00000000LL ll
r8 = -9223372036854775808LL ll
r9 = 18446744073709551615LL ll
.quad 0xb7000000000000b7LL
r1 = 5ul
w2 += 0x7ful
r3 = 017ul
r4 = 0b101ul
r5 = -42ul
r6 = 4294967295ul
*(u32 *)(r10 - 8ul) = 7ul
r0 = *(u64 *)(r1 + 0x10ul)
lock *(u64 *)(r2 + 8ul) += r3
if r1 s> -3ul goto +1ul
if w1 == 0xfffful goto -1ul
goto +2ul
gotol -2ul
call 12ul
r0 = *(u16 *)skb[4ul]
ld_pseudo r1, 2ul, 3ul
r1 = addr_space_cast(r2, 1ul, 0ul)
r7 = 0xffffffff00000000ul ll
r8 = -9223372036854775808ul ll
r9 = 18446744073709551615ul ll
.quad 0xb7000000000000b7ul
r1 = 5uL
w2 += 0x7fuL
r3 = 017uL
r4 = 0b101uL
r5 = -42uL
r6 = 4294967295uL
*(u32 *)(r10 - 8uL) = 7uL
r0 = *(u64 *)(r1 + 0x10uL)
lock *(u64 *)(r2 + 8uL) += r3
if r1 s> -3uL goto +1uL
if w1 == 0xffffuL goto -1uL
goto +2uL
gotol -2uL
call 12uL
r0 = *(u16 *)skb[4uL]
ld_pseudo r1, 2uL, 3uL
r1 = addr_space_cast(r2, 1uL, 0uL)
r7 = 0xffffffff00000000uL ll
r8 = -9223372036854775808uL ll
r9 = 18446744073709551615uL ll
.quad 0xb7000000000000b7uL
r1 = 5Ul
w2 += 0x7fUl
r3 = 017Ul
r4 = 0b101Ul
r5 = -42Ul
r6 = 4294967295Ul
*(u32 *)(r10 - 8Ul) = 7Ul
r0 = *(u64 *)(r1 + 0x10Ul)
lock *(u64 *)(r2 + 8Ul) += r3
if r1 s> -3Ul goto +1Ul
if w1 == 0xffffUl goto -1Ul
goto +2Ul
gotol -2Ul
call 12Ul
r0 = *(u16 *)skb[4Ul]
ld_pseudo r1, 2Ul, 3Ul
r1 = addr_space_cast(r2, 1Ul, 0Ul)
r7 = 0xffffffff00000000Ul ll
r8 = -9223372036854775808Ul ll
r9 = 18446744073709551615Ul ll
.quad 0xb7000000000000b7Ul
r1 = 5UL
w2 += 0x7fUL
r3 = 017UL
r4 = 0b101UL
r5 = -42UL
r6 = 4294967295UL
*(u32 *)(r10 - 8UL) = 7UL
r0 = *(u64 *)(r1 + 0x10UL)
lock *(u64 *)(r2 + 8UL) += r3
if r1 s> -3UL goto +1UL
if w1 == 0xffffUL goto -1UL
goto +2UL
gotol -2UL
call 12UL
r0 = *(u16 *)skb[4UL]
ld_pseudo r1, 2UL, 3UL
r1 = addr_space_cast(r2, 1UL, 0UL)
r7 = 0xffffffff00000000UL ll
r8 = -9223372036854775808UL ll
r9 = 18446744073709551615UL ll
.quad 0xb7000000000000b7UL
r1 = 5ull
w2 += 0x7full
r3 = 017ull
r4 = 0b101ull
r5 = -42ull
r6 = 4294967295ull
*(u32 *)(r10 - 8ull) = 7ull
r0 = *(u64 *)(r1 + 0x10ull)
lock *(u64 *)(r2 + 8ull) += r3
if r1 s> -3ull goto +1ull
if w1 == 0xffffull goto -1ull
goto +2ull
gotol -2ull
call 12ull
r0 = *(u16 *)skb[4ull]
ld_pseudo r1, 2ull, 3ull
r1 = addr_space_cast(r2, 1ull, 0ull)
r7 = 0xffffffff00000000ull ll
r8 = -9223372036854775808ull ll
r9 = 18446744073709551615ull ll
.quad 0xb7000000000000b7ull
r1 = 5uLL
w2 += 0x7fuLL
r3 = 017uLL
r4 = 0b101uLL
r5 = -42uLL
r6 = 4294967295uLL
*(u32 *)(r10 - 8uLL) = 7uLL
r0 = *(u64 *)(r1 + 0x10uLL)
lock *(u64 *)(r2 + 8uLL) += r3
if r1 s> -3uLL goto +1uLL
if w1 == 0xffffuLL goto -1uLL
goto +2uLL
gotol -2uLL
call 12uLL
r0 = *(u16 *)skb[4uLL]
ld_pseudo r1, 2uLL, 3uLL
r1 = addr_space_cast(r2, 1uLL, 0uLL)
r7 = 0xffffffff00000000uLL ll
r8 = -9223372036854775808uLL ll
r9 = 18446744073709551615uLL ll
.quad 0xb7000000000000b7uLL
r1 = 5Ull
w2 += 0x7fUll
r3 = 017Ull
r4 = 0b101Ull
r5 = -42Ull
r6 = 4294967295Ull
*(u32 *)(r10 - 8Ull) = 7Ull
r0 = *(u64 *)(r1 + 0x10Ull)
lock *(u64 *)(r2 + 8Ull) += r3
if r1 s> -3Ull goto +1Ull
if w1 == 0xffffUll goto -1Ull
goto +2Ull
gotol -2Ull
call 12Ull
r0 = *(u16 *)skb[4Ull]
ld_pseudo r1, 2Ull, 3Ull
r1 = addr_space_cast(r2, 1Ull, 0Ull)
r7 = 0xffffffff00000000Ull ll
r8 = -9223372036854775808Ull ll
r9 = 18446744073709551615Ull ll
.quad 0xb7000000000000b7Ull
r1 = 5ULL
w2 += 0x7fULL
r3 = 017ULL
r4 = 0b101ULL
r5 = -42ULL
r6 = 4294967295ULL
*(u32 *)(r10 - 8ULL) = 7ULL
r0 = *(u64 *)(r1 + 0x10ULL)
lock *(u64 *)(r2 + 8ULL) += r3
if r1 s> -3ULL goto +1ULL
if w1 == 0xffffULL goto -1ULL
goto +2ULL
gotol -2ULL
call 12ULL
r0 = *(u16 *)skb[4ULL]
ld_pseudo r1, 2ULL, 3ULL
r1 = addr_space_cast(r2, 1ULL, 0ULL)
r7 = 0xffffffff00000000ULL ll
r8 = -9223372036854775808ULL ll
r9 = 18446744073709551615ULL ll
.quad 0xb7000000000000b7ULL
r1 = 5uLl
w2 += 0x7fuLl
r3 = 017uLl
r4 = 0b101uLl
r5 = -42uLl
r6 = 4294967295uLl
*(u32 *)(r10 - 8uLl) = 7uLl
r0 = *(u64 *)(r1 + 0x10uLl)
lock *(u64 *)(r2 + 8uLl) += r3
if r1 s> -3uLl goto +1uLl
if w1 == 0xffffuLl goto -1uLl
goto +2uLl
gotol -2uLl
call 12uLl
r0 = *(u16 *)skb[4uLl]
ld_pseudo r1, 2uLl, 3uLl
r1 = addr_space_cast(r2, 1uLl, 0uLl)
r7 = 0xffffffff00000000uLl ll
r8 = -9223372036854775808uLl ll
r9 = 18446744073709551615uLl ll
.quad 0xb7000000000000b7uLl
r1 = 5lL
w2 += 0x7flL
r3 = 017lL
r4 = 0b101lL
r5 = -42lL
r6 = 4294967295lL
*(u32 *)(r10 - 8lL) = 7lL
r0 = *(u64 *)(r1 + 0x10lL)
lock *(u64 *)(r2 + 8lL) += r3
if r1 s> -3lL goto +1lL
if w1 == 0xfffflL goto -1lL
goto +2lL
gotol -2lL
call 12lL
r0 = *(u16 *)skb[4lL]
ld_pseudo r1, 2lL, 3lL
r1 = addr_space_cast(r2, 1lL, 0lL)
r7 = 0xffffffff00000000lL ll
r8 = -9223372036854775808lL ll
r9 = 18446744073709551615lL ll
.quad 0xb7000000000000b7lL
r1 = 5Ll
w2 += 0x7fLl
r3 = 017Ll
r4 = 0b101Ll
r5 = -42Ll
r6 = 4294967295Ll
*(u32 *)(r10 - 8Ll) = 7Ll
r0 = *(u64 *)(r1 + 0x10Ll)
lock *(u64 *)(r2 + 8Ll) += r3
if r1 s> -3Ll goto +1Ll
if w1 == 0xffffLl goto -1Ll
goto +2Ll
gotol -2Ll
call 12Ll
r0 = *(u16 *)skb[4Ll]
ld_pseudo r1, 2Ll, 3Ll
r1 = addr_space_cast(r2, 1Ll, 0Ll)
r7 = 0xffffffff00000000Ll ll
r8 = -9223372036854775808Ll ll
r9 = 18446744073709551615Ll ll
.quad 0xb7000000000000b7Ll
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
