/**
 * Probes of instruction-set levels, verifier abilities and commands: each loads the smallest
 * socket filter that uses the feature (or makes the smallest call of the command) and caches the
 * answer.
 * @module
 */
import { MapType, StatsType } from "../uapi/enums.gen.ts";
import { Errno } from "../uapi/errno.gen.ts";
import { BPF, Pseudo } from "../uapi/flags.gen.ts";
import { ProgType } from "../uapi/enums.gen.ts";
import { Insn } from "../asm/insn.ts";
import { LdImm64 } from "../asm/ldimm64.ts";
import { close } from "../cmd/fd.ts";
import { mapLookupBatch } from "../cmd/batch.ts";
import { mapCreate, mapLookupAndDeleteElem } from "../cmd/map.ts";
import { enableStats } from "../cmd/misc.ts";
import { BpfError, ENOTSUPP, FeatureError } from "../errors.ts";
import { memlockCharged } from "../sys/rlimit.ts";
import { cached, errnoOf, tryLoad, verdict } from "./probe.ts";

/** eBPF instruction-set levels, as LLVM's -mcpu names them. */
export type IsaVersion = "v2" | "v3" | "v4";

function loads(what: string, insns: Insn[]): boolean {
  return verdict(tryLoad(ProgType.socket_filter, Insn.encode(insns)).errno, what, "prog_load");
}

const ISA: Readonly<Record<IsaVersion, () => Insn[]>> = {
  // BPF_JLT (with JLE, JSLT, JSLE): "if r0 < 0 goto +1".
  v2: () => [Insn.mov("r0", 0), Insn.jlt("r0", 0, 1), Insn.mov("r0", 1), Insn.exit()],
  // BPF_JMP32: the same comparison on the low 32 bits.
  v3: () => [Insn.mov("r0", 0), new Insn(BPF.JMP32 | BPF.JLT | BPF.K, 0, 0, 1, 0), Insn.mov("r0", 1), Insn.exit()],
  // bswap (BPF_ALU64 | BPF_END), new with the v4 set. Not gotol: 6.1 mistakes BPF_JMP32 | BPF_JA
  // for a conditional jump and accepts it.
  v4: () => [Insn.mov("r0", 7), new Insn(BPF.ALU64 | BPF.END | BPF.K, 0, 0, 0, 16), Insn.exit()],
};

/** Whether the verifier accepts instructions of ISA level `v` (v2: 4.14, v3: 5.1, v4: 6.6). Cached. */
export function haveIsa(v: IsaVersion): boolean {
  const make = ISA[v];
  if (make === undefined) throw new TypeError(`ISA version must be "v2", "v3" or "v4", got ${JSON.stringify(v)}`);
  return cached(`isa ${v}`, () => loads(`ISA ${v}`, make()));
}

/** Whether programs may call their own functions (bpf-to-bpf calls, 4.16). Cached. */
export function haveBpfToBpfCalls(): boolean {
  return cached("bpf-to-bpf calls", () =>
    loads("bpf-to-bpf calls", [
      new Insn(BPF.JMP | BPF.CALL, 0, Pseudo.call, 0, 1), // call the function at 2
      Insn.exit(),
      Insn.mov("r0", 0),
      Insn.exit(),
    ]));
}

/** Whether a privileged loader may pass more than 4096 instructions (5.2). Cached. */
export function haveLargeInstructions(): boolean {
  return cached("large programs", () => {
    const insns = Array.from({ length: 4096 }, () => Insn.mov("r0", 1));
    insns.push(Insn.exit());
    return loads("more than 4096 instructions", insns);
  });
}

/** Whether the verifier accepts bounded loops (backward jumps, 5.3). Cached. */
export function haveBoundedLoops(): boolean {
  return cached("bounded loops", () => loads("bounded loops", [Insn.mov("r0", 10), Insn.sub("r0", 1), Insn.jne("r0", 0, -2), Insn.exit()]));
}

/** Whether the BPF_MAP_*_BATCH commands exist (5.6), by a lookup batch on an empty hash map. Cached. */
export function haveBatchOps(): boolean {
  return cached("batch operations", () => {
    const fd = mapCreate(MapType.hash, 4, 4, 1);
    try {
      const four = (): Uint8Array => new Uint8Array(new ArrayBuffer(4));
      mapLookupBatch(fd, null, four(), four(), four(), 1);
      return true;
    } catch (e) {
      return verdict(errnoOf(e), "batch operations", "map_lookup_batch");
    } finally {
      close(fd);
    }
  });
}

/** Whether BPF_ENABLE_STATS exists (5.8), by turning run-time stats on and at once off again. Cached. */
export function haveEnableStats(): boolean {
  return cached("BPF_ENABLE_STATS", () => {
    try {
      close(enableStats(StatsType.run_time));
      return true;
    } catch (e) {
      return verdict(errnoOf(e), "BPF_ENABLE_STATS", "enable_stats");
    }
  });
}

/**
 * Whether BPF_MAP_LOOKUP_AND_DELETE_ELEM works on hash maps (5.14; queues and stacks had it since
 * 4.20), by one on an empty hash: ENOENT where it works, ENOTSUPP where only queues and stacks pop.
 */
export function haveHashLookupAndDelete(): boolean {
  return cached("lookup_and_delete on hash maps", () => {
    const fd = mapCreate(MapType.hash, 4, 4, 1);
    try {
      const four = (): Uint8Array => new Uint8Array(new ArrayBuffer(4));
      mapLookupAndDeleteElem(fd, four(), four());
      return true; // an empty map says ENOENT; success would mean the same
    } catch (e) {
      const errno = errnoOf(e);
      return errno === Errno.ENOENT || (errno !== ENOTSUPP && verdict(errno, "lookup_and_delete on hash maps", "map_lookup_and_delete_elem"));
    } finally {
      close(fd);
    }
  });
}

/** Whether BPF memory is charged to the memory cgroup rather than RLIMIT_MEMLOCK (5.11). Cached. */
export function haveMemcgAccounting(): boolean {
  return cached("memcg accounting", () => !memlockCharged());
}

/**
 * Whether an ld_imm64 may address a map value at any 32-bit offset (libbpf's
 * FEAT_LDIMM64_FULL_RANGE_OFF, kernel commit "Do not limit maximum direct offset into arena
 * map"): libbpf then puts `__arena` globals at the end of the arena, not at its start. Probed as
 * libbpf does, by offset 2^30 into a 4-byte array: refused as "direct value offset of ..." before,
 * as "invalid access to map value pointer" after. Cached.
 */
export function haveLdimm64FullRange(): boolean {
  const what = "full-range ld_imm64 map value offsets";
  return cached(what, () => {
    const fd = mapCreate(MapType.array, 4, 4, 1);
    try {
      const r = tryLoad(ProgType.socket_filter, Insn.encode([LdImm64.mapValue("r1", fd, 1 << 30), Insn.mov("r0", 0), Insn.exit()]), { log: true });
      if (r.log.includes("direct value offset of")) return false;
      if (r.errno !== 0 && r.log.includes("invalid access to map value pointer")) return true;
      throw new FeatureError(what, new BpfError("prog_load", r.errno, { context: `neither refusal the probe knows: ${r.log.trim().split("\n").pop() ?? ""}` }));
    } finally {
      close(fd);
    }
  });
}
