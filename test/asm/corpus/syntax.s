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
