/**
 * BPF_PROG_TEST_RUN for program objects: runs the program in the kernel on given packet data or
 * context and returns r0, the mean run time and the output, trimmed to what the kernel wrote. A
 * run a signal interrupts (EINTR) is run again: progTestRun blocks signals and retries.
 * @module
 */
import { ProgType } from "../uapi/enums.gen.ts";
import { Errno } from "../uapi/errno.gen.ts";
import { checkBytes, u32Arg } from "../cmd/args.ts";
import { progTestRun } from "../cmd/prog.ts";
import { BpfError } from "../errors.ts";

/** Input of BpfProgram.testRun(). */
export interface TestRunInput {
  /** Packet or input data (an Ethernet frame for skb programs). */
  data?: Uint8Array;
  /** Context input (__sk_buff, xdp_md, or a syscall program's argument struct). */
  ctx?: Uint8Array;
  /** Runs, the duration their mean: by default 0, which the kernel runs once (syscall and raw tracepoint programs take no other). */
  repeat?: number;
  /** Bytes to receive output data into (default: the input's length + 256, room for a grown packet). */
  dataOut?: number;
  /** Bytes to receive the output context into (default: the context's length, for the types that return it). */
  ctxOut?: number;
  /** TestRunFlags values. */
  flags?: number;
  /** CPU to run on (with TestRunFlags.test_run_on_cpu). */
  cpu?: number;
  /** Frames per batch, for XDP live-frame mode. */
  batchSize?: number;
}

/** What a test run returned. */
export interface TestRunOutput {
  /** The program's return value (r0, as u32). */
  retval: number;
  /** Mean run time in nanoseconds. */
  duration: number;
  /** The output data as the kernel left it (empty when there was no data). */
  data: Uint8Array;
  /** The output context, when one was returned. */
  ctx?: Uint8Array;
}

// Types whose test run copies the context back out (bpf_ctx_finish in net/bpf/test_run.c).
const CTX_OUT = new Set<number>([
  ProgType.socket_filter, ProgType.sched_cls, ProgType.sched_act, ProgType.cgroup_skb, ProgType.lwt_in, ProgType.lwt_out,
  ProgType.lwt_xmit, ProgType.lwt_seg6local, ProgType.xdp, ProgType.sk_lookup, ProgType.flow_dissector,
]);
const OUT_PAD = 256;

/** BPF_PROG_TEST_RUN on program `fd` of `type` (the type decides whether a context comes back). */
export function runTest(fd: number, type: number, input: TestRunInput): TestRunOutput {
  const data = input.data === undefined ? undefined : checkBytes(input.data, "data");
  const ctx = input.ctx === undefined ? undefined : checkBytes(input.ctx, "ctx");
  const dataOutSize = u32Arg(input.dataOut ?? (data ? data.length + OUT_PAD : 0), "dataOut");
  const ctxOutSize = u32Arg(input.ctxOut ?? (ctx && CTX_OUT.has(type) ? ctx.length : 0), "ctxOut");
  const dataOut = dataOutSize ? new Uint8Array(new ArrayBuffer(dataOutSize)) : undefined;
  const ctxOut = ctxOutSize ? new Uint8Array(new ArrayBuffer(ctxOutSize)) : undefined;
  let r;
  try {
    r = progTestRun(fd, { data, ctx, dataOut, ctxOut, repeat: input.repeat ?? 0, flags: input.flags, cpu: input.cpu, batchSize: input.batchSize });
  } catch (e) {
    if (e instanceof BpfError && e.errno === Errno.ENOSPC) {
      e.message += `; the output did not fit in ${dataOutSize} bytes of dataOut / ${ctxOutSize} of ctxOut: pass larger sizes`;
    }
    throw e;
  }
  const out: TestRunOutput = {
    retval: r.retval,
    duration: r.duration,
    data: dataOut ? dataOut.slice(0, Math.min(r.dataSizeOut, dataOut.length)) : new Uint8Array(0),
  };
  if (ctxOut) out.ctx = ctxOut.slice(0, Math.min(r.ctxSizeOut, ctxOut.length));
  // A syscall program's context is its argument struct, written back in place.
  else if (ctx && type === ProgType.syscall) out.ctx = ctx.slice();
  return out;
}
