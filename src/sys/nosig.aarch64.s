// long nosig(long cmd, long attr, long size, long masks), AAPCS64. The machine code in nosig.ts is
// this file assembled (test/sys/signals.test.ts reassembles it with llvm-mc-19):
//   llvm-mc-19 -triple=aarch64 -show-encoding src/sys/nosig.aarch64.s
// Never run by this project's tests: no aarch64 host. masks points at 16 bytes: the set to block,
// then room for the old mask. Raw syscalls: the result is -errno directly. x9-x13 are scratch
// registers the kernel preserves across svc.
  mov x9, x0
  mov x10, x1
  mov x11, x2
  mov x12, x3
  mov x8, #135              // rt_sigprocmask(SIG_BLOCK, masks, masks + 8, 8)
  mov x0, #0
  mov x1, x12
  add x2, x12, #8
  mov x3, #8
  svc #0
  mov x8, #280              // bpf(cmd, attr, size)
  mov x0, x9
  mov x1, x10
  mov x2, x11
  svc #0
  mov x13, x0
  mov x8, #135              // rt_sigprocmask(SIG_SETMASK, masks + 8, NULL, 8): what was pending arrives now
  mov x0, #2
  add x1, x12, #8
  mov x2, #0
  mov x3, #8
  svc #0
  mov x0, x13
  ret
