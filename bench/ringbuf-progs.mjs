// Programs for the ring buffer benchmark (bench/ringbuf.mjs) and its tests (test/ringbuf/): a
// producer that emits records with bpf_ringbuf_output from a bpf_loop, and the bit of BTF that a
// program with a callback needs (the verifier wants func_info for every subprogram once one is
// referenced as a function pointer); and the C consumer (bench/c/ringbuf.c) bound through the
// runtime's FFI. Functions take the library's module (`lib`) as loaded by their caller: the
// benchmark runs the sources or dist/, the tests run mod.ts.
import { loadIntFunctions } from "./ffi.mjs";

const enc = new TextEncoder();

/**
 * A BTF blob with one `long` INT, one FUNC_PROTO `long (long a, long b)` and a static FUNC of
 * that proto for each of `names`: FUNC ids are 3, 4, ... in order.
 */
export function funcBtf(names) {
  const strs = [0];
  const str = (s) => {
    const at = strs.length;
    strs.push(...enc.encode(s), 0);
    return at;
  };
  const long = str("long"), a = str("a"), b = str("b");
  const words = [long, 1 << 24, 8, (1 << 24) | 64]; // INT long, signed, 64 bits
  words.push(0, ((13 << 24) | 2) >>> 0, 1, a, 1, b, 1); // FUNC_PROTO long (long a, long b)
  for (const n of names) words.push(str(n), 12 << 24, 2); // FUNC, static linkage
  const typeLen = words.length * 4;
  const out = new Uint8Array(24 + typeLen + strs.length);
  const dv = new DataView(out.buffer);
  dv.setUint16(0, 0xeb9f, true);
  out[2] = 1; // version
  dv.setUint32(4, 24, true); // hdr_len
  dv.setUint32(12, typeLen, true); // type_len (type_off 0)
  dv.setUint32(16, typeLen, true); // str_off
  dv.setUint32(20, strs.length, true);
  words.forEach((w, i) => dv.setUint32(24 + 4 * i, w >>> 0, true));
  out.set(strs, 24 + typeLen);
  return out;
}

/** func_info records (insn_off, type_id) for the subprograms starting at `starts` (FUNC ids 3, 4, ...). */
export function funcInfo(starts) {
  const data = new Uint8Array(8 * starts.length);
  const dv = new DataView(data.buffer);
  starts.forEach((insn, i) => {
    dv.setUint32(8 * i, insn, true);
    dv.setUint32(8 * i + 4, 3 + i, true);
  });
  return { recSize: 8, count: starts.length, data };
}

/**
 * Loads a program that, each time it runs, emits `count` records of `size` bytes into ring `rb`
 * with bpf_ringbuf_output from a bpf_loop callback (Linux 5.17+). The bytes come from array map
 * `src` (value_size >= size); `flags` are the output's wake-up flags (BPF_RB_NO_WAKEUP = 1).
 * Returns { prog, close() }; run it with prog.testRun({ data: new Uint8Array(64) }).
 */
export function loadProducer(lib, { rb, src, size, count, flags = 0 }) {
  const { BpfProgram, btfLoad, close, Insn, ProgramBuilder, ProgType } = lib;
  const built = new ProgramBuilder()
    .emit(Insn.mov("r1", count)).ldFunc("r2", "emit").emit(Insn.mov("r3", 0), Insn.mov("r4", 0), Insn.call("loop"), Insn.mov("r0", 0), Insn.exit())
    .label("emit").ldMap("r1", "rb").ldMapValue("r2", "src", 0)
    .emit(Insn.mov("r3", size), Insn.mov("r4", flags), Insn.call("ringbuf_output"), Insn.mov("r0", 0), Insn.exit())
    .finish();
  const btf = btfLoad(funcBtf(["main", "emit"]));
  try {
    const prog = BpfProgram.load({
      type: ProgType.socket_filter, insns: built, maps: { rb, src }, name: "rb_producer",
      progBtfFd: btf, funcInfo: funcInfo([0, built.labels.get("emit")]),
    });
    return { prog, close: () => prog.close() };
  } finally {
    close(btf);
  }
}

/**
 * c_rb_open(fd), c_rb_consume(), c_rb_sum(), c_rb_close() from bench/c/ringbuf.c compiled to the
 * shared library at `path`, through this runtime's FFI (each takes one int, ignored but by open).
 */
export function loadRingbufC(path) {
  return loadIntFunctions(path, { c_rb_open: "i32", c_rb_consume: "i32", c_rb_sum: "f64", c_rb_close: "i32" });
}
