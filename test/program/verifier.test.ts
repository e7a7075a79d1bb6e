// The verifier log: retried with a log after a failure, grown on ENOSPC (exactly with
// log_true_size, x4 without), capped, EAGAIN retried; VerifierError's message and fields.
import { expect } from "vitest";
import { BpfError, BpfProgram, Cmd, Errno, haveFeature, Insn, ProgLoadAttr, ProgType, setRetryWindow, VerifierError } from "../../mod.ts";
import { describePriv, itPriv } from "../helpers/env.ts";
import { withHook } from "./spy.ts";

/** Runs fn and returns the VerifierError it throws. */
function verifierError(fn: () => unknown): VerifierError {
  try {
    fn();
  } catch (e) {
    if (e instanceof VerifierError) return e;
    throw e;
  }
  throw new Error("expected a VerifierError, nothing was thrown");
}

// r0 = 1; r1 = 2; r0 = *(u32 *)(r2 + 0) - r2 was never written; exit.
const BAD = [Insn.mov("r0", 1), Insn.mov("r1", 2), Insn.ldx("word", "r0", "r2", 0), Insn.exit()];
/** n moves and an exit: a verbose (level 2) log of n+1 instruction lines. */
const long = (n: number, tail: Insn[] = [Insn.exit()]): Insn[] => [...Array.from({ length: n }, (_, i) => Insn.mov("r0", i)), ...tail];

const F = ProgLoadAttr.fields;
const u32At = (attr: Uint8Array, off: number): number => new DataView(attr.buffer, attr.byteOffset).getUint32(off, true);

describePriv("VerifierError", () => {
  itPriv("a rejected program carries the log, its lines, the failing instruction and the reason", () => {
    const e = verifierError(() => BpfProgram.load({ type: ProgType.socket_filter, insns: BAD, name: "bad_read" }));
    expect(e).toBeInstanceOf(BpfError);
    expect(e.kind).toBe("UnsafeProgram");
    expect(e.errno).toBe(Errno.EACCES);
    expect(e.insn).toBe(2);
    expect(e.reason).toBe("R2 !read_ok");
    expect(e.log).toMatch(/R2 !read_ok/);
    expect(e.lines.at(-1)).toMatch(/^processed \d+ insns/);
    expect(e.truncated).toBe(false);
  });

  itPriv("the message shows the reason, the failing instruction disassembled and the log's last lines", () => {
    const e = verifierError(() => BpfProgram.load({ type: ProgType.socket_filter, insns: BAD, name: "bad_read" }));
    const lines = e.message.split("\n");
    expect(lines[0]).toMatch(/^bpf\(prog_load\): EACCES \(UnsafeProgram\).*program "bad_read", 4 instructions/);
    expect(lines[1]).toBe("  R2 !read_ok");
    expect(e.message).toContain("    > 2: (61) r0 = *(u32 *)(r2 +0)");
    expect(e.message).toContain("      1: (b7) r1 = 2");
    expect(e.message).toMatch(/\| 2: \(61\) r0 = \*\(u32 \*\)\(r2 \+0\)\n {4}\| R2 !read_ok$/);
    // The statistics line is left out of the short message, kept in the full one.
    expect(e.message).not.toMatch(/processed \d+ insns/);
    expect(e.fullMessage).toMatch(/processed \d+ insns/);
    expect(e.toString({ full: true })).toBe(`VerifierError: ${e.fullMessage}`);
    expect(String(e)).toBe(`VerifierError: ${e.message}`);
  });

  itPriv("a long log is cut to its last lines in the message, whole in fullMessage", () => {
    const e = verifierError(() => BpfProgram.load({ type: ProgType.socket_filter, insns: long(40, BAD) }));
    expect(e.insn).toBe(42);
    expect(e.message.split("\n").filter((l) => l.startsWith("    | ")).length).toBe(10);
    expect(e.fullMessage.split("\n").length).toBe(e.lines.length + 1);
  });

  itPriv("a CFG error names the instruction without visiting it", () => {
    const e = verifierError(() => BpfProgram.load({ type: ProgType.socket_filter, insns: [Insn.mov("r0", 0), Insn.exit(), Insn.exit()] }));
    expect(e.kind).toBe("InvalidProgram");
    expect(e.reason).toBe("unreachable insn 2");
    expect(e.insn).toBe(2);
    expect(e.message).toContain("    > 2: (95) exit");
  });
});

describePriv("the log retry", () => {
  itPriv("loads without a log first and again with one only after a failure", () => {
    const levels: number[] = [];
    withHook((cmd, attr) => {
      if (cmd === Cmd.prog_load) levels.push(u32At(attr, F.log_level.off));
      return undefined;
    }, () => {
      BpfProgram.load({ type: ProgType.socket_filter, insns: long(3) }).close();
      expect(levels).toEqual([0]);
      verifierError(() => BpfProgram.load({ type: ProgType.socket_filter, insns: BAD }));
    });
    expect(levels).toEqual([0, 0, 1]);
  });

  itPriv("logDisabled: a plain BpfError without a second load", () => {
    let loads = 0;
    const e = withHook((cmd) => {
      if (cmd === Cmd.prog_load) loads++;
      return undefined;
    }, () => {
      try {
        BpfProgram.load({ type: ProgType.socket_filter, insns: BAD, logDisabled: true });
      } catch (e) {
        return e;
      }
    });
    expect(e).toBeInstanceOf(BpfError);
    expect(e).not.toBeInstanceOf(VerifierError);
    expect((e as BpfError).kind).toBe("UnsafeProgram");
    expect(loads).toBe(1);
  });

  itPriv("ENOSPC: the buffer is sized from log_true_size where the kernel reports it", { feature: "log_true_size" }, () => {
    const sizes: number[] = [];
    const p = withHook((cmd, attr) => {
      if (cmd === Cmd.prog_load) sizes.push(u32At(attr, F.log_size.off));
      return undefined;
    }, () => BpfProgram.load({ type: ProgType.socket_filter, insns: long(2000), logLevel: 2, logSize: 1024 }));
    try {
      expect(sizes.length).toBe(2);
      expect(sizes[0]).toBe(1024);
      expect(sizes[1]).toBe(p.verifierLog!.length + 1); // exactly the text and its NUL
      expect(p.verifierLog).toMatch(/processed 2001 insns/);
    } finally {
      p.close();
    }
  });

  itPriv("ENOSPC: without log_true_size (older kernels) the buffer grows x4 until the log fits", () => {
    const sizes: number[] = [];
    const p = withHook((cmd, attr, _size, real) => {
      if (cmd !== Cmd.prog_load) return undefined;
      sizes.push(u32At(attr, F.log_size.off));
      const rc = real();
      attr.fill(0, F.log_true_size.off, F.log_true_size.off + 4); // as an old kernel leaves it
      return rc;
    }, () => BpfProgram.load({ type: ProgType.socket_filter, insns: long(2000), logLevel: 2, logSize: 1024 }));
    try {
      expect(sizes.length).toBeGreaterThan(2);
      sizes.forEach((s, i) => expect(s).toBe(1024 * 4 ** i));
      expect(p.verifierLog!.length).toBeLessThan(sizes.at(-1)!);
      expect(p.verifierLog!.length).toBeGreaterThanOrEqual(sizes.at(-2)! - 1);
      expect(p.verifierLog).toMatch(/processed 2001 insns/);
    } finally {
      p.close();
    }
  });

  itPriv("a log that outgrows logSizeMax is reported truncated, with the kernel's real verdict", () => {
    const e = verifierError(() => BpfProgram.load({ type: ProgType.socket_filter, insns: long(3000, BAD), logSize: 1024, logSizeMax: 4096 }));
    expect(e.truncated).toBe(true);
    expect(e.kind).toBe("UnsafeProgram"); // from the log-less load: the truncated one only says ENOSPC
    expect(e.message).toMatch(/truncated/);
    expect(e.log.length).toBeLessThan(4096);
    // Kernels with log_true_size keep the end of an overflowing log (the same series): the complaint survives.
    if (haveFeature("log_true_size")) {
      expect(e.reason).toBe("R2 !read_ok");
      expect(e.insn).toBe(3002);
    }
  });

  itPriv("EAGAIN is retried", () => {
    let loads = 0;
    const p = withHook((cmd) => {
      if (cmd !== Cmd.prog_load) return undefined;
      return ++loads <= 3 ? -Errno.EAGAIN : undefined;
    }, () => BpfProgram.load({ type: ProgType.socket_filter, insns: long(1) }));
    try {
      expect(loads).toBe(4);
      expect(p.testRun({ data: new Uint8Array(64) }).retval).toBe(0);
    } finally {
      p.close();
    }
  });

  itPriv("EAGAIN that never ends is reported when the retry window closes, without a log retry", () => {
    let loads = 0;
    const levels: number[] = [];
    const old = setRetryWindow(200);
    const t0 = Date.now();
    try {
      const e = withHook((cmd, attr) => {
        if (cmd !== Cmd.prog_load) return undefined;
        loads++;
        levels.push(u32At(attr, F.log_level.off));
        return -Errno.EAGAIN;
      }, () => {
        try {
          BpfProgram.load({ type: ProgType.socket_filter, insns: long(1) });
        } catch (e) {
          return e;
        }
      });
      expect((e as BpfError).kind).toBe("WouldBlock");
    } finally {
      setRetryWindow(old);
    }
    expect(loads).toBeGreaterThan(2);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(190);
    expect(levels.every((l) => l === 0)).toBe(true);
  });
});
