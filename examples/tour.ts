// The README's tour, kept runnable: test/readme.test.ts checks that the README shows exactly this.
import {
  assemble, BpfMap, BpfProgram, disassemble, haveMapType, Insn, MapType, ProgramBuilder, ProgType, u32, u64, VerifierError,
} from "../mod.ts";

// A map of u32 -> u64, closed when the block ends (`using`), iterated with batch lookups on 5.6+.
using counts = BpfMap.create({ type: MapType.array, key: u32, value: u64, maxEntries: 4, name: "counts" });
counts.set(1, 41n);
console.log([...counts]); // [[0, 0n], [1, 41n], [2, 0n], [3, 0n]]

// A program from the builder: labels, and map symbols resolved at load time.
const insns = new ProgramBuilder()
  .emit(Insn.st("word", "r10", -4, 1), Insn.mov("r2", "r10"), Insn.add("r2", -4))
  .ldMap("r1", "counts").emit(Insn.call("map_lookup_elem"))
  .jmp("jeq", "r0", 0, "out").emit(Insn.mov("r1", 1), Insn.xadd("r0", "r1"))
  .label("out").emit(Insn.mov("r0", 0), Insn.exit())
  .finish();
using prog = BpfProgram.load({ type: ProgType.socket_filter, insns, maps: { counts }, name: "count" });
prog.testRun({ data: new Uint8Array(64), repeat: 1000 });
console.log(counts.get(1), prog.info().name); // 1041n count

// The same instructions as text, both ways, byte-exact with LLVM.
const bytes = assemble("r0 = 0\nif r1 == 0 goto out\nr0 = *(u32 *)(r1 + 16)\nout:\nexit");
console.log(disassemble(bytes)); // ["r0 = 0", "if r1 == 0 goto +1", "w0 = *(u32 *)(r1 + 16)", "exit"]

// A rejected program: the verifier's reason, the failing instruction, the end of the log.
try {
  BpfProgram.load({ type: ProgType.socket_filter, insns: [Insn.ldx("word", "r0", "r2", 0), Insn.exit()] });
} catch (e) {
  if (e instanceof VerifierError) console.log(e.reason, "at instruction", e.insn); // R2 !read_ok at instruction 0
}
console.log("ring buffers:", haveMapType(MapType.ringbuf)); // true on 5.8+
