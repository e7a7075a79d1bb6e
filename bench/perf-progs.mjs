// Programs for the perf buffer benchmark (bench/perf.mjs) and its test (test/perf/bench.test.ts):
// a socket filter that writes one sample with bpf_perf_event_output (BPF_F_CURRENT_CPU) per run,
// run `count` times by one BPF_PROG_TEST_RUN (its repeat), and the C reader (bench/c/perf.c)
// bound through the runtime's FFI. Functions take the library's module (`lib`) as loaded by their
// caller: the benchmark runs the sources or dist/, the tests run mod.ts.
import { loadIntFunctions } from "./ffi.mjs";

/** The bytes a sample of `size` output bytes takes in a perf ring: header, u32 size, data padded to 8. */
export const perfRecordBytes = (size) => 8 + 4 + (((size + 4 + 7) & ~7) - 4);

/**
 * Loads a program that writes the first `size` bytes of array map `src`'s value (value_size >=
 * size) as one sample into perf event array `events`, on the current CPU. Returns
 * { prog, fill(count), close() }: fill runs it `count` times in one BPF_PROG_TEST_RUN and
 * returns the last run's r0 (bpf_perf_event_output's return: 0, or -errno).
 */
export function loadPerfProducer(lib, { events, src, size }) {
  const { BpfProgram, Insn, ProgramBuilder, ProgType } = lib;
  const insns = new ProgramBuilder()
    .emit(Insn.mov("r6", "r1"))
    .ldMapValue("r4", "src", 0)
    .emit(Insn.mov("r1", "r6")).ldMap("r2", "events")
    // BPF_F_CURRENT_CPU by a 32-bit move: the upper half is the skb bytes to append, 0 here.
    .asm(`w3 = -1
      r5 = ${size}
      call 25
      exit`)
    .finish();
  const prog = BpfProgram.load({ type: ProgType.socket_filter, insns, maps: { events, src }, name: "perf_producer" });
  const pkt = new Uint8Array(64);
  return {
    prog,
    fill: (count) => prog.testRun({ data: pkt, repeat: count }).retval | 0,
    close: () => prog.close(),
  };
}

/**
 * c_pb_bytes(n), c_pb_open(fd), c_pb_consume(), c_pb_sum(), c_pb_lost(), c_pb_close() from
 * bench/c/perf.c compiled to the shared library at `path`, through this runtime's FFI (each takes
 * one int, ignored but by bytes and open).
 */
export function loadPerfC(path) {
  return loadIntFunctions(path, { c_pb_bytes: "i32", c_pb_open: "i32", c_pb_consume: "i32", c_pb_sum: "f64", c_pb_lost: "f64", c_pb_close: "i32" });
}
