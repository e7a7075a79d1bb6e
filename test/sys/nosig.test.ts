// The signal-blocking trampoline (src/sys/nosig.ts): its bytes are the committed assembly
// sources, the set it blocks, and - on the real backend - the same results as a plain bpf() call,
// the thread's mask unchanged afterwards. (What the two extra syscalls cost is a benchmark's
// question, not a test's: a timing bound here failed under load.)
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { Attr, bpfRaw, Cmd, Errno } from "../../mod.ts";
import { BLOCKED_SIGNALS, bpfNoSignals, masksSignals, nosigCode } from "../../src/sys/nosig.ts";
import { describePriv, itPriv, runtime } from "../helpers/env.ts";

const root = join(import.meta.dirname ?? new URL(".", import.meta.url).pathname, "..", "..");
const LLVM_MC = "llvm-mc-19";
const haveMc = spawnSync(LLVM_MC, ["--version"]).status === 0;
const triples: Record<string, string> = { x86_64: "x86_64", aarch64: "aarch64" };

/** The bytes llvm-mc encodes `file` into, from its -show-encoding listing. */
function assemble(arch: string, file: string): number[] {
  const r = spawnSync(LLVM_MC, [`-triple=${triples[arch]}`, "-show-encoding", file], { encoding: "utf8" });
  expect(r.status, r.stderr).toBe(0);
  return [...r.stdout.matchAll(/encoding: \[([^\]]*)\]/g)].flatMap((m) => m[1].split(",").map((h) => parseInt(h, 16)));
}

describe("nosig: the machine code", () => {
  for (const arch of Object.keys(triples)) {
    const name = `the ${arch} bytes are src/sys/nosig.${arch}.s assembled by ${LLVM_MC}`;
    if (!haveMc) {
      console.warn(`skip: ${name}: ${LLVM_MC} is not installed (CI installs llvm-19)`);
      it.skip(`${name} [skipped: no ${LLVM_MC}]`, () => {});
      continue;
    }
    it(name, () => {
      const want = assemble(arch, join(root, "src", "sys", `nosig.${arch}.s`));
      expect(want.length).toBeGreaterThan(40);
      expect([...nosigCode(arch)!]).toEqual(want);
    });
  }

  it("no code for other architectures", () => {
    expect(nosigCode("riscv64")).toBeNull();
  });

  it("blocks every signal but SIGKILL, SIGSTOP, the fault signals and glibc's 32 and 33", () => {
    const open = [];
    for (let sig = 1; sig <= 64; sig++) if (((BLOCKED_SIGNALS >> BigInt(sig - 1)) & 1n) === 0n) open.push(sig);
    // SIGILL SIGTRAP SIGBUS SIGFPE SIGKILL SIGSEGV SIGSTOP SIGSYS, SIGCANCEL, SIGSETXID
    expect(open).toEqual([4, 5, 7, 8, 9, 11, 19, 31, 32, 33]);
    expect(BLOCKED_SIGNALS >> 64n).toBe(0n);
  });
});

/** The calling thread's blocked-signal mask, from /proc. */
const sigBlk = (): string => readFileSync("/proc/thread-self/status", "utf8").match(/^SigBlk:\s*(\S+)/m)![1];

describePriv("nosig: on the real backend", () => {
  // A lookup on an fd that is not open: the kernel answers EBADF at once, so the call is all overhead.
  const attr = new Attr(64);
  attr.u32(0, 0x7ffffff0);
  const size = 32;

  itPriv(`the trampoline is built, returns what bpf() returns, and leaves the mask as it was (${runtime})`, () => {
    expect(masksSignals()).toBe(true);
    const mask = sigBlk();
    expect(bpfNoSignals(Cmd.map_lookup_elem, attr, size)).toBe(-Errno.EBADF);
    expect(bpfRaw(Cmd.map_lookup_elem, attr, size)).toBe(-Errno.EBADF);
    expect(sigBlk()).toBe(mask);
    // A result the kernel writes back through the attr: an info query on a missing id.
    expect(bpfNoSignals(Cmd.prog_get_fd_by_id, new Attr(16).u32(0, 0xfffffff0), 12)).toBe(-Errno.ENOENT);
  });
});
