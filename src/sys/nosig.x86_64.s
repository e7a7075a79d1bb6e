# long nosig(long cmd, long attr, long size, long masks), x86_64 System V. The machine code in
# nosig.ts is this file assembled (test/sys/signals.test.ts reassembles it with llvm-mc-19):
#   llvm-mc-19 -triple=x86_64 -show-encoding src/sys/nosig.x86_64.s
# masks points at 16 bytes: the set to block, then room for the old mask.
# Raw syscalls, so the result is -errno directly and libc's errno is never involved.
  push %rbx
  push %r12
  push %r13
  push %r14
  mov %rdi, %r12            # cmd, attr, size and masks survive the syscalls in callee-saved registers
  mov %rsi, %r13
  mov %rdx, %r14
  mov %rcx, %rbx
  mov $14, %eax             # rt_sigprocmask(SIG_BLOCK, masks, masks + 8, 8)
  xor %edi, %edi
  mov %rbx, %rsi
  lea 8(%rbx), %rdx
  mov $8, %r10d
  syscall
  mov $321, %eax            # bpf(cmd, attr, size)
  mov %r12, %rdi
  mov %r13, %rsi
  mov %r14, %rdx
  syscall
  mov %rax, %r12
  mov $14, %eax             # rt_sigprocmask(SIG_SETMASK, masks + 8, NULL, 8): what was pending arrives now
  mov $2, %edi
  lea 8(%rbx), %rsi
  xor %edx, %edx
  mov $8, %r10d
  syscall
  mov %r12, %rax
  pop %r14
  pop %r13
  pop %r12
  pop %rbx
  ret
