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
