// BPF iterators: a bpf_map_elem iterator over an array map writes each element's value with
// bpf_seq_write, so that reading the link returns the map's values in order, anew on each read.
// Iterators are tracing programs: where the system refuses those to root (this project's host
// says EPERM at load), the tests skip saying so; the VM matrix runs them.
import { expect, it } from "vitest";
import {
  ATTACH_VERSIONS, AttachType, attachIter, BpfError, BpfMap, BpfProgram, Errno, FeatureError, Insn, LinkType, MapType, program, ProgType,
  u32, u64,
} from "../../mod.ts";
import { isRoot, itPriv, kernelAtLeast, type Needs } from "../helpers/env.ts";
import { bpfError, thrown } from "../helpers/expect.ts";

const ITER = { feature: [{ progType: "tracing" }, "iter_create"] } as const;

/** Writes the 8-byte value of each element it is given (ctx: meta at 0, map at 8, key at 16, value at 24). */
function dumpValues(): BpfProgram {
  const insns = program()
    .emit(Insn.mov("r6", "r1"), Insn.ldx("double_word", "r7", "r6", 24))
    .jmp("jeq", "r7", 0, "out") // the last call, after the last element, has no value
    .emit(Insn.ldx("double_word", "r1", "r6", 0), Insn.ldx("double_word", "r1", "r1", 0)) // meta->seq
    .emit(Insn.mov("r2", "r7"), Insn.mov("r3", 8), Insn.call("seq_write"))
    .label("out")
    .emit(Insn.mov("r0", 0), Insn.exit())
    .finish();
  return BpfProgram.load({ name: "dump_values", type: ProgType.tracing, attachType: AttachType.trace_iter, attachTo: "bpf_map_elem", insns });
}

/** Why this system refuses iterator programs to root, or null. */
function refusal(): string | null {
  if (!isRoot || !kernelAtLeast(ATTACH_VERSIONS.iter_map_elem.version)) return null; // itPriv and the test say why
  try {
    dumpValues().close();
    return null;
  } catch (e) {
    if (e instanceof BpfError && e.errno === Errno.EPERM) return "this system refuses tracing (iterator) programs to root (EPERM at load: a security policy here)";
    return null; // another failure: let the test show it
  }
}

const refused = refusal();

function itIter(name: string, needs: Needs, fn: () => void): void {
  if (refused === null) return itPriv(name, needs, fn);
  console.warn(`skip: ${name}: ${refused}`);
  it.skip(`${name} [skipped: ${refused}]`, fn);
}

const values = (b: Uint8Array): bigint[] => Array.from({ length: b.length / 8 }, (_, i) => new DataView(b.buffer, b.byteOffset).getBigUint64(i * 8, true));
const mapElemSince = ATTACH_VERSIONS.iter_map_elem.version;
const ELEM = { ...ITER, skipIf: kernelAtLeast(mapElemSince) ? null : `map element iterators need Linux ${mapElemSince}+` };

itIter("a bpf_map_elem iterator over a map: each read() walks it anew; info() names the target and map", ELEM, () => {
  using map = BpfMap.create({ type: MapType.array, key: u32, value: u64, maxEntries: 4 });
  for (let i = 0; i < 4; i++) map.set(i, BigInt(1000 + i));
  using prog = dumpValues();
  const link = attachIter(prog, { map });
  expect(link.type).toBe(LinkType.iter);
  expect(link.description).toBe(`iter link of program "dump_values" (fd ${prog.fd}) on bpf_map_elem over map fd ${map.fd}`);
  expect(link.info()).toMatchObject({ type: "iter", targetName: "bpf_map_elem", mapId: map.id, progId: prog.id });
  expect(values(link.read())).toEqual([1000n, 1001n, 1002n, 1003n]);
  map.set(2, 7n);
  {
    using run = link.open();
    expect(values(run.read())).toEqual([1000n, 1001n, 7n, 1003n]);
    expect(run.read().length).toBe(0); // the walk is over
  }
  link.close();
  expect(() => link.open()).toThrow(/is closed/);
});

itIter("a map element iterator without a map is an error that says what it needs", ELEM, () => {
  using prog = dumpValues();
  const e = bpfError(() => attachIter(prog).close());
  expect(e.message).toMatch(/^attaching program "dump_values" \(fd \d+\) as iterator bpf_map_elem: .*does the target need a map/);
});

itPriv("without BPF iterators: a FeatureError", { feature: { progType: "tracing" }, skipIf: kernelAtLeast(ATTACH_VERSIONS.iter.version) ? `Linux ${ATTACH_VERSIONS.iter.version}+ has iterators: the tests above run` : null }, () => {
  // No iterator program loads on such a kernel: a socket filter's fd gets as far as the attach type check.
  using prog = BpfProgram.load({ type: ProgType.socket_filter, insns: [Insn.mov("r0", 0), Insn.exit()] });
  const e = thrown(() => attachIter(prog).close(), FeatureError);
  expect(e.needs).toEqual(ATTACH_VERSIONS.iter);
});
